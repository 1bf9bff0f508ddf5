/** Default Temporal task queue for Kasal workers; overridable with TEMPORAL_TASK_QUEUE. */
export const DEFAULT_TASK_QUEUE = 'kasal';
