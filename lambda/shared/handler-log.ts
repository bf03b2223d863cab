/** The subset of the Powertools Logger the handlers' logic uses; tests pass a recorder. */
export interface HandlerLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}
