import type { Response } from 'express';
import type { KindInfo, ResourceError } from '../../engine/resources/index.js';
import {
  ResourceConflictError,
  ResourceExistsError,
  ResourceNotFoundError,
  ResourceValidationError,
} from '../store/resource-store.js';

/** One cause of a failure, as `metav1.StatusCause`. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A `metav1.Status` failure: the body of every error the API answers, as the API server shapes it. */
export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiStatusError';
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const resourceOf = (info: KindInfo) => (info.group === '' ? info.plural : `${info.plural}.${info.group}`);

export function notFound(info: KindInfo, name: string): ApiStatusError {
  return new ApiStatusError(404, 'NotFound', `${resourceOf(info)} "${name}" not found`, {
    name,
    group: info.group,
    kind: info.plural,
  });
}

export function badRequest(message: string): ApiStatusError {
  return new ApiStatusError(400, 'BadRequest', message);
}

export function invalid(info: KindInfo, name: string, causes: StatusCause[]): ApiStatusError {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new ApiStatusError(422, 'Invalid', `${info.kind}.${info.group || 'core'} "${name}" is invalid: ${list}`, {
    name,
    group: info.group,
    kind: info.kind,
    causes,
  });
}

function causesOf(errors: ResourceError[]): StatusCause[] {
  return errors.map((e) => ({
    reason: e.message.startsWith('required') ? 'FieldValueRequired' : 'FieldValueInvalid',
    message: e.message,
    field: e.path,
  }));
}

/** The store's errors as the API server's Status: 404, 409 Conflict/AlreadyExists, 422 Invalid with causes. */
export function toApiError(err: unknown, info: KindInfo | undefined, name: string): ApiStatusError {
  if (err instanceof ApiStatusError) return err;
  if (info && err instanceof ResourceValidationError) return invalid(info, name, causesOf(err.errors));
  if (info && err instanceof ResourceNotFoundError) return notFound(info, name);
  if (info && err instanceof ResourceConflictError)
    return new ApiStatusError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${resourceOf(info)} "${name}": the object has been modified; ` +
        'please apply your changes to the latest version and try again',
      { name, group: info.group, kind: info.plural },
    );
  if (info && err instanceof ResourceExistsError)
    return new ApiStatusError(409, 'AlreadyExists', `${resourceOf(info)} "${name}" already exists`, {
      name,
      group: info.group,
      kind: info.plural,
    });
  return new ApiStatusError(500, 'InternalError', err instanceof Error ? err.message : String(err));
}

export function sendStatus(res: Response, err: ApiStatusError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(err.code).json(err.toStatus());
}

export function successStatus(info: KindInfo, name: string, uid?: string): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group: info.group, kind: info.plural, ...(uid ? { uid } : {}) },
  };
}
