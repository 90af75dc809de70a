/** A simulated reading in the original firmware's shape. */
export interface Reading {
  value: number;
  unit: string;
  label: string;
  temperature: number;
  humidity: number;
  '@timestamp': number;
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/**
 * Slowly wandering readings, like the original gas-leakage sensor: PPM around 400, room
 * temperature and humidity, each a bounded random walk so charts look like a real sensor.
 */
export class ReadingSimulator {
  private ppm = 400;
  private temperature = 21;
  private humidity = 45;

  constructor(
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  next(): Reading {
    this.ppm = clamp(this.ppm + (this.random() - 0.5) * 20, 300, 1200);
    this.temperature = clamp(this.temperature + (this.random() - 0.5) * 0.4, 10, 35);
    this.humidity = clamp(this.humidity + (this.random() - 0.5) * 2, 20, 80);
    return {
      value: round(this.ppm, 1),
      unit: 'PPM',
      label: 'Leakage',
      temperature: round(this.temperature),
      humidity: round(this.humidity),
      '@timestamp': this.now(),
    };
  }
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));
