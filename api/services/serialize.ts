/** Entity → API JSON helpers shared by the routes. */
export function iso(date: Date): string;
export function iso(date: Date | null | undefined): string | null;
export function iso(date: Date | null | undefined): string | null {
  return date ? new Date(date).toISOString() : null;
}
