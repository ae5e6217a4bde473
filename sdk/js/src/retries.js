// Counters for the two ways a question goes unanswered: Retries ("may I ask again?") and
// NoMatchCounter (answers the script did not understand, in a row and in total).

export class Retries {
  constructor(max = 1) {
    this.max = max;
    this.used = 0;
  }

  /** Use up one retry: true if one was left (ask again), false once used up. */
  tryAgain() {
    if (this.used < this.max) {
      this.used += 1;
      return true;
    }
    return false;
  }

  get remaining() {
    return this.max - this.used;
  }

  reset() {
    this.used = 0;
  }
}

export class NoMatchCounter {
  constructor(maxReprompts = 1) {
    this.maxReprompts = maxReprompts;
    this.inARow = 0;
    this.total = 0;
  }

  /** Count an answer that matched nothing: true if the script may re-prompt. */
  miss() {
    this.inARow += 1;
    this.total += 1;
    return this.inARow <= this.maxReprompts;
  }

  /** An answer was understood: the next miss starts a new run. */
  matched() {
    this.inARow = 0;
  }
}
