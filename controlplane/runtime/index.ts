export * from './types.js';
export * from './local-runtime.js';
export { freePort, podPort, canConnect, httpProbe } from './net.js';
export { templateHash, processSpec, expandVars, type ProcessSpec } from './template.js';
export { HpaController, cpuTarget, podCpuRequest, type HpaControllerOptions } from './hpa-controller.js';
export { CpuSampler, procCpuTimeMs, parseProcStat } from './cpu.js';
