import type { Agent } from '@mastra/core/agent';

/** One part of a scripted model turn: a tool call (input as JSON text) or text. */
export type Part = { type: 'tool-call'; toolCallId: string; toolName: string; input: string } | { type: 'text'; text: string };
/** Mastra's model type names the v5 provider types it bundles; the fake is that interface's shape. */
export type MastraModel = ConstructorParameters<typeof Agent>[0]['model'];

const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };

/** A tool-call part, its input given as a value (serialized) or as raw text. */
export const call = (toolCallId: string, toolName: string, input: unknown): Part => ({ type: 'tool-call', toolCallId, toolName, input: typeof input === 'string' ? input : JSON.stringify(input) });

/**
 * A fake of the AI SDK v5 LanguageModelV2, one of the model interfaces Mastra 1.x drives (its
 * `ai/test` mocks need msw, a test-only dependency Mastra does not ship): each call answers with
 * the next scripted turn, and the prompts it was sent are kept.
 */
export function scriptedMastraModel(turns: Part[][]): { model: MastraModel; prompts: unknown[] } {
  const prompts: unknown[] = [];
  const next = (options: { prompt: unknown }) => {
    prompts.push(options.prompt);
    const content = turns.shift() ?? [{ type: 'text', text: 'out of script' }];
    return { content, finishReason: content.some((p) => p.type === 'tool-call') ? 'tool-calls' : 'stop' };
  };
  const model = {
    specificationVersion: 'v2' as const,
    provider: 'fake',
    modelId: 'scripted',
    supportedUrls: {},
    async doGenerate(options: { prompt: unknown }) {
      return { ...next(options), usage, warnings: [] };
    },
    async doStream(options: { prompt: unknown }) {
      const { content, finishReason } = next(options);
      return {
        stream: new ReadableStream({
          start(controller) {
            controller.enqueue({ type: 'stream-start', warnings: [] });
            for (const part of content) {
              if (part.type === 'text') {
                controller.enqueue({ type: 'text-start', id: 't' });
                controller.enqueue({ type: 'text-delta', id: 't', delta: part.text });
                controller.enqueue({ type: 'text-end', id: 't' });
              } else controller.enqueue(part);
            }
            controller.enqueue({ type: 'finish', finishReason, usage });
            controller.close();
          },
        }),
      };
    },
  };
  return { model: model as unknown as MastraModel, prompts };
}
