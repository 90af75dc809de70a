import type { Analyser, AnalyserRequest } from '@citus/contracts';
import { conflict, newId, notFound } from '@citus/kit';
import type { AnalyserRepository, StoredAnalyser } from '../domain/analyser.model.js';

const view = (analyser: StoredAnalyser): Analyser => ({
  id: analyser.id,
  ...analyser.definition,
  createdAt: new Date(analyser.createdAt).toISOString(),
  updatedAt: new Date(analyser.updatedAt).toISOString(),
  lastRun: analyser.lastRun,
});

const taken = (name: string) => conflict(`an analyser named "${name}" exists in this workspace`);

/** Analysers' use cases, each within one workspace: another workspace's analyser is "not found". */
export class AnalyserConfigService {
  constructor(
    private readonly analysers: AnalyserRepository,
    private readonly now: () => number = Date.now,
  ) {}

  async create(workspaceId: string, definition: AnalyserRequest): Promise<Analyser> {
    const at = this.now();
    const analyser: StoredAnalyser = { id: newId('ana'), workspaceId, definition, createdAt: at, updatedAt: at, lastRun: null };
    if ((await this.analysers.insert(analyser)) === 'conflict') throw taken(definition.name);
    return view(analyser);
  }

  async list(workspaceId: string): Promise<Analyser[]> {
    return (await this.analysers.list(workspaceId)).map(view);
  }

  async get(workspaceId: string, analyserId: string): Promise<Analyser> {
    const analyser = await this.analysers.find(workspaceId, analyserId);
    if (!analyser) throw notFound('analyser');
    return view(analyser);
  }

  async replace(workspaceId: string, analyserId: string, definition: AnalyserRequest): Promise<Analyser> {
    const outcome = await this.analysers.replace({ id: analyserId, workspaceId, definition, updatedAt: this.now() });
    if (outcome === 'missing') throw notFound('analyser');
    if (outcome === 'conflict') throw taken(definition.name);
    return this.get(workspaceId, analyserId);
  }

  async delete(workspaceId: string, analyserId: string): Promise<void> {
    if (!(await this.analysers.delete(workspaceId, analyserId))) throw notFound('analyser');
  }
}
