// Benchmark only: loaded into a part of the stack with `--expose-gc --import`, it answers SIGUSR2
// by collecting all garbage and printing the live heap in bytes, so that the benchmark can tell
// what a process's caches hold apart from the slack a busy heap keeps. (Plain JavaScript: it is
// loaded before the TypeScript loader.)
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  console.log(`heap-probe ${process.memoryUsage().heapUsed}`);
});
