export { errorMessage, silentLogger, type Logger } from '../engine/logger.js';
