export { CommandService, CommandInputError, SENDABLE_COMMANDS, commandAckListener, type SendCommand, type CommandServiceOptions } from "./service.ts";
export { MemoryCommandStore, SqliteCommandStore, PostgresCommandStore, commandStoreFor } from "./store.ts";
export { BundleAssembler } from "./bundle-assembler.ts";
export type { CommandRecord, CommandStatus, CommandStore, BundleResult } from "./types.ts";
