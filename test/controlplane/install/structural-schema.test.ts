import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toStructural, type JsonSchema } from '../../../controlplane/install/structural-schema.js';

const convert = (schema: z.ZodType): JsonSchema =>
  toStructural(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);

describe('zod JSON Schema -> Kubernetes structural schema', () => {
  it('integer | string becomes x-kubernetes-int-or-string', () => {
    expect(convert(z.union([z.number().int(), z.string()]))).toEqual({ 'x-kubernetes-int-or-string': true });
  });

  it('a nullable value keeps its type and says nullable', () => {
    expect(convert(z.string().nullable())).toEqual({ type: 'string', nullable: true });
  });

  it('literals become enums; numeric exclusive bounds become OpenAPI 3.0 booleans', () => {
    expect(convert(z.literal('x'))).toEqual({ type: 'string', enum: ['x'] });
    expect(convert(z.number().gt(0))).toEqual({ type: 'number', minimum: 0, exclusiveMinimum: true });
  });

  it('a loose object keeps unknown fields; a record becomes additionalProperties; a strict object prunes', () => {
    expect(convert(z.looseObject({ a: z.string() }))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(convert(z.record(z.string(), z.number()))).toEqual({
      type: 'object',
      additionalProperties: { type: 'number' },
    });
    expect(convert(z.strictObject({ a: z.string().optional() }))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
    });
  });

  it('a union of objects merges their properties, none required', () => {
    const s = convert(z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]));
    expect(s).toMatchObject({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } } });
    expect(s.required).toBeUndefined();
  });

  it('a recursive schema is cut where it recurses (kept as written), no $ref remains', () => {
    type Node = { name: string; children?: Node[] };
    const node: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(node).optional() }));
    const s = JSON.stringify(convert(z.object({ root: node })));
    expect(s).not.toContain('$ref');
    expect(s).toContain('x-kubernetes-preserve-unknown-fields');
  });

  it('drops patterns RE2 cannot read (look-around) and formats Kubernetes does not know, keeps the rest', () => {
    expect(convert(z.string().regex(/^(?!x)a+$/))).toEqual({ type: 'string' });
    expect(convert(z.string().regex(/^a+$/))).toEqual({ type: 'string', pattern: '^a+$' });
    expect(convert(z.email())).toMatchObject({ type: 'string', format: 'email' });
    expect(convert(z.string().base64url()).format).toBeUndefined();
  });

  it('an unrepresentable or any value is kept as written', () => {
    expect(convert(z.unknown())).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
  });
});
