/* global process */
// Preloaded into the processes under soak (node --expose-gc --require): SIGUSR2 runs a full garbage
// collection, so the soak reads each process's RSS over what it holds live, not over garbage a GC has
// not reached yet. A test aid only; the shipped executables carry no such handler.
process.on("SIGUSR2", () => globalThis.gc?.());
