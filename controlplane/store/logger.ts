export { silentLogger, type Logger } from '../../engine/logger.js';
