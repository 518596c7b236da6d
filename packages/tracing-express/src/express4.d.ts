// The suite runs against Express 4 through the `express4` dev-dependency alias; its API surface we
// use is the same as Express 5's, so the tests type it as such.
declare module 'express4' {
  import express from 'express';
  export default express;
}
