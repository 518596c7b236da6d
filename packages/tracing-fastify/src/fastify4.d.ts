// The suite runs against Fastify 4 through the `fastify4` dev-dependency alias; the API it uses is
// the same as Fastify 5's, so the tests type it as such.
declare module 'fastify4' {
  import fastify from 'fastify';
  export default fastify;
}
