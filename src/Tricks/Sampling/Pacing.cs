namespace Engine.Data;

/// <summary>
/// A pacing function g(epoch) in (0, 1]: the fraction of the data, easiest first, that a curriculum makes
/// available at an epoch (Hacohen and Weinshall 2019). It must reach 1 so that training ends on the whole set.
/// </summary>
public abstract class Pacing
{
    public abstract double Fraction(int epoch);

    /// <summary>Linear: g(t) = min(1, start + (1 - start) t / epochsToFull).</summary>
    public static Pacing Linear(double start, int epochsToFull) => new LinearPacing(start, epochsToFull);

    /// <summary>
    /// Fixed exponential (step) pacing: g(t) = min(1, start * increase^floor(t / step)): the available data grows
    /// by a factor at every step epochs.
    /// </summary>
    public static Pacing Step(double start, double increase, int step) => new StepPacing(start, increase, step);

    /// <summary>Root pacing (Platanios et al. 2019): g(t) = min(1, sqrt(t (1 - start^2) / epochsToFull + start^2)).</summary>
    public static Pacing Root(double start, int epochsToFull) => new RootPacing(start, epochsToFull);

    internal static void Check(double start)
    {
        if (!(start > 0 && start <= 1)) throw new ArgumentOutOfRangeException(nameof(start), $"pacing: starting fraction must be in (0, 1], got {start}");
    }

    private sealed class LinearPacing : Pacing
    {
        private readonly double _start; private readonly int _full;
        public LinearPacing(double start, int full)
        {
            Check(start);
            if (full <= 0) throw new ArgumentOutOfRangeException(nameof(full), $"linear pacing: epochs to the full set must be positive, got {full}");
            _start = start; _full = full;
        }
        public override double Fraction(int epoch) => Math.Min(1, _start + (1 - _start) * epoch / _full);
    }

    private sealed class StepPacing : Pacing
    {
        private readonly double _start, _inc; private readonly int _step;
        public StepPacing(double start, double increase, int step)
        {
            Check(start);
            if (!(increase > 1)) throw new ArgumentOutOfRangeException(nameof(increase), $"step pacing: increase must be > 1 so the full set is reached, got {increase}");
            if (step <= 0) throw new ArgumentOutOfRangeException(nameof(step), $"step pacing: step must be positive, got {step}");
            _start = start; _inc = increase; _step = step;
        }
        public override double Fraction(int epoch) => Math.Min(1, _start * Math.Pow(_inc, epoch / _step));
    }

    private sealed class RootPacing : Pacing
    {
        private readonly double _start; private readonly int _full;
        public RootPacing(double start, int full)
        {
            Check(start);
            if (full <= 0) throw new ArgumentOutOfRangeException(nameof(full), $"root pacing: epochs to the full set must be positive, got {full}");
            _start = start; _full = full;
        }
        public override double Fraction(int epoch) => Math.Min(1, Math.Sqrt(epoch * (1 - _start * _start) / _full + _start * _start));
    }
}
