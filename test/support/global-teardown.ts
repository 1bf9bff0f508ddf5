export default async function globalTeardown(): Promise<void> {
  await globalThis.__KASAL_TEMPORAL__?.stop();
}
