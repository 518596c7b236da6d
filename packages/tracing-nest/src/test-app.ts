// The app the suite runs: what a Maestro team writes, with @Traced() on services and controllers.
import {
  type ArgumentsHost,
  Body,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Get,
  HttpException,
  Injectable,
  NotFoundException,
  Param,
  Post,
  SetMetadata,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { delay, from, lastValueFrom, type Observable, of, toArray } from 'rxjs';
import { Traced, TracingService, traceSpan } from './index.ts';

export const ROLES = 'roles';
export const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/** Reads the roles a handler declares: if @Traced() lost the metadata, this would let everybody in. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.get<string[] | undefined>(ROLES, context.getHandler());
    if (roles === undefined) return true;
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return roles.includes(request.headers['x-role'] ?? '');
  }
}

/** A global guard that wants a token on every route: the metrics endpoint must still answer. */
@Injectable()
export class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return request.headers['x-api-token'] === 'let-me-in';
  }
}

@Catch(HttpException)
export class ProblemFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<{
      status?: (code: number) => { json?: (b: unknown) => void; send?: (b: unknown) => void };
      code?: (code: number) => { send: (b: unknown) => void };
    }>();
    const body = { problem: exception.message, status: exception.getStatus() };
    if (typeof reply.code === 'function') reply.code(exception.getStatus()).send(body);
    else reply.status!(exception.getStatus()).json!(body);
  }
}

@Injectable()
export class ModelsService {
  @Traced()
  async find(id: string): Promise<{ id: string; framework: string }> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (id === 'missing') throw new NotFoundException(`model ${id} not found`);
    return { id, framework: 'pytorch' };
  }

  @Traced('models.stream')
  stream(): Observable<string> {
    return from(['m1', 'm2', 'm3']).pipe(delay(2));
  }

  @Traced()
  explode(): never {
    throw new Error('registry unreachable');
  }
}

@ApiTags('models')
@Controller({ path: 'models', version: '1' })
@UseGuards(RolesGuard)
export class ModelsController {
  constructor(
    private readonly models: ModelsService,
    private readonly tracing: TracingService,
  ) {}

  @Get('admin/report')
  @Roles('admin')
  @Traced()
  @ApiOkResponse({ description: 'The admin report' })
  report(): { report: string } {
    return { report: 'ok' };
  }

  @Get('stream')
  list(): Promise<string[]> {
    return lastValueFrom(this.models.stream().pipe(toArray()));
  }

  @Get('observable')
  observable(): Observable<{ ok: boolean }> {
    return of({ ok: true }).pipe(delay(1));
  }

  @Get('boom')
  boom(): never {
    return this.models.explode();
  }

  @Get('filtered/:id')
  @UseFilters(ProblemFilter)
  async filtered(@Param('id') id: string) {
    return this.models.find(id);
  }

  @Get(':id')
  @ApiOkResponse({ description: 'One model' })
  async findOne(@Param('id') id: string) {
    this.tracing.setAttributes({ 'model.id': id });
    return this.models.find(id);
  }

  @Post('train')
  async train(@Body() body: { epochs: number }) {
    return traceSpan('train_model', { 'training.epochs': body.epochs }, async () => ({
      model_id: 'model-1',
    }));
  }
}
