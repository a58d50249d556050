namespace Engine.Data;

/// <summary>Gamma and Beta draws from an engine <see cref="Generator"/> (for RICAP, mixup-style tricks).</summary>
public static class Distributions
{
    /// <summary>Gamma(shape, 1) by Marsaglia and Tsang (2000); shape &lt; 1 through Gamma(shape + 1) U^(1/shape).</summary>
    public static double Gamma(Generator g, double shape)
    {
        if (!(shape > 0)) throw new ArgumentOutOfRangeException(nameof(shape), $"gamma: shape must be positive, got {shape}");
        if (shape < 1)
        {
            double u;
            do u = g.NextDouble(); while (u <= 0);
            return Gamma(g, shape + 1) * Math.Pow(u, 1 / shape);
        }
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do { x = g.NextGaussian(); v = 1 + c * x; } while (v <= 0);
            v = v * v * v;
            double u = g.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (u > 0 && Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    /// <summary>Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).</summary>
    public static double Beta(Generator g, double a, double b)
    {
        double x = Gamma(g, a), y = Gamma(g, b);
        return x + y > 0 ? x / (x + y) : 0.5;
    }
}
