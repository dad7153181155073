// The app's first module (main.ts imports it before anything else, so the
// bundle runs it first): it only sends the request for the first page of
// chats, so that the answer is on its way while the rest of the bundle (the
// Svelte runtime, markdown, highlighting, the components) is still being run
// (lib/early.ts). main.ts hands the request to the app's fetch.
import { startEarly } from './lib/early';

export const early = startEarly(window, globalThis.fetch.bind(globalThis));
