// Loaded into a part of the stack with `--expose-gc --import`, it answers SIGWINCH by collecting
// all garbage and printing the live heap in bytes, so that a test or the benchmark can tell what a
// process's caches hold apart from the slack a busy heap keeps (resident memory moves with that
// slack). SIGWINCH because no part uses it (the authorization server rotates its key on SIGUSR2),
// and a process without a terminal never gets it otherwise. (Plain JavaScript: it is loaded before
// the TypeScript loader.)
process.on('SIGWINCH', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  console.log(`heap-probe ${process.memoryUsage().heapUsed}`);
});
