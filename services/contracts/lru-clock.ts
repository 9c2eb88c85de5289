/**
 * `ttlResolution` for every lru-cache whose entries have a time to live: read the clock at each
 * lookup. By default lru-cache reuses one reading for a millisecond and starts a timer with each
 * new reading to forget it, so a busy cache starts a timer, and wakes its process, about every
 * millisecond; reading the clock (performance.now) costs far less than a timer.
 */
export const LRU_CLOCK_EVERY_TIME = 0;
