export { activate, ActivationError, type ActivateOptions } from './activate.js';
export { createConnection, type ConnectOptions } from './connection.js';
export { DeviceState, isActivated, loadDevice, NotActivatedError, saveDevice, type DeviceFiles } from './device-state.js';
export { ReadingSimulator, type Reading } from './readings.js';
export { runTelemetry, type RunOptions } from './run-telemetry.js';
export { checkRelease, digestOfFile, type DownloadedArtifact, type ReleaseCheck, type ReleaseToCheck } from './release-check.js';
export { UpdateAgent, type UpdateOptions } from './take-updates.js';
export { ContainerSwap, type ContainerSwapOptions, type SwapOutcome } from './container-swap.js';
