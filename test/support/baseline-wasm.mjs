// Loaded into a test stack's authorization server with `--import`: its processes live for seconds,
// and compiling its embedded database's WebAssembly a second time with V8's optimising tier costs
// more CPU than it saves (about 0.7 s a start, on a machine that runs many stacks). V8 flags are
// not allowed in NODE_OPTIONS, hence this preload. (Plain JavaScript: loaded before TypeScript's.)
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
