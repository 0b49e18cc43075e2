import { InputError, show } from '../../histories/errors.js';
import type { Model, ModelSpec } from './model.js';
import { builtinModels } from './models.js';

const models = new Map<string, ModelSpec>(builtinModels.map((m) => [m.name, m]));

/** Adds a model (e.g. a user's own, through the library API) so `--model NAME` finds it. */
export function registerModel(spec: ModelSpec): void {
  models.set(spec.name, spec);
}

export function getModelSpec(name: string): ModelSpec {
  const m = models.get(name);
  if (!m) throw new InputError(`unknown model "${name}"; known models: ${[...models.keys()].sort().join(', ')}`);
  return m;
}

/** Refuses an initial state the model cannot hold, before any history is read. */
export function checkModelInit(name: string, init: unknown): void {
  if (init === undefined) return;
  const why = getModelSpec(name).checkInit?.(init);
  if (why !== undefined) throw new InputError(`--init ${show(init)}: ${why}`);
}

export function listModels(): ModelSpec[] {
  return [...models.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A model from a name (with `init`, or the model's default) or a model object given directly. */
export function resolveModel(model: string | Model<unknown> | ModelSpec, init?: unknown): Model<unknown> {
  if (typeof model === 'string') model = getModelSpec(model);
  if ('create' in model) {
    if (init !== undefined) {
      const why = model.checkInit?.(init);
      if (why !== undefined) throw new InputError(`--init ${show(init)}: ${why}`);
    }
    return model.create(init === undefined ? model.defaultInit : init);
  }
  return model;
}
