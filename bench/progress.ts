// One progress line per step, with the elapsed time and an estimate of what is left.
export class Progress {
  private done_ = 0;
  private readonly started = Date.now();

  constructor(private readonly steps: number) {}

  step(what: string): void {
    const elapsedS = (Date.now() - this.started) / 1000;
    const eta =
      this.done_ > 0 ? `, about ${Math.ceil(((elapsedS / this.done_) * (this.steps - this.done_)) / 60)} min left` : '';
    console.log(`[${this.done_ + 1}/${this.steps}] ${what} (${Math.round(elapsedS)} s${eta})`);
    this.done_++;
  }

  done(): void {
    console.log(`done in ${Math.round((Date.now() - this.started) / 1000)} s`);
  }
}
