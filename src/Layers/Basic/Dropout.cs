namespace Engine;

/// <summary>
/// Inverted dropout: in training each element is zeroed with probability p and the survivors are
/// scaled by 1/(1-p), so that evaluation (which returns the input unchanged) needs no scaling.
/// </summary>
/// <remarks>
/// Do not put it after the last layer of a model: it would randomly zero logits that the loss
/// needs. Masks are drawn from <see cref="Generator.Default"/> (or the given generator), so
/// <see cref="Seed.Everything"/> makes them reproducible.
/// </remarks>
public sealed class Dropout : Module
{
    public double P { get; }
    private readonly Generator? _gen;

    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability must be in [0, 1], got {p}");
        P = p; _gen = generator;
    }

    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training, _gen);
    public override string ExtraRepr() => $"p={P}";
}
