namespace Engine.Training;

/// <summary>
/// A 2-D test function for the optimizer gallery: its value, its gradient, where the runs start,
/// where the minimum lies and the plotting window.
/// </summary>
/// <param name="Loss">The value as an autograd graph of a parameter tensor p [2], or null where the
/// engine lacks an op it needs (Rastrigin's cosine); then <see cref="Gradient"/> is used.</param>
public sealed record TestFunction(
    string Name,
    Func<double, double, double> Value,
    Func<double, double, (double Dx, double Dy)> Gradient,
    Func<Tensor, Tensor>? Loss,
    (double X, double Y) Start,
    (double X, double Y) Minimum,
    (double Min, double Max) XRange,
    (double Min, double Max) YRange)
{
    /// <summary>
    /// Rosenbrock: f(x, y) = (1 - x)² + 100 (y - x²)², minimum 0 at (1, 1) at the end of a long, flat,
    /// curved valley; ∂f/∂x = -2 (1 - x) - 400 x (y - x²), ∂f/∂y = 200 (y - x²). Start (-2, 2).
    /// </summary>
    public static TestFunction Rosenbrock { get; } = new(
        "rosenbrock",
        (x, y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x),
        (x, y) => (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
        p =>
        {
            var x = p.Narrow(0, 0, 1); var y = p.Narrow(0, 1, 1);
            return (1f - x).Square().Add((y - x.Square()).Square().Mul(100f)).Sum();
        },
        (-2, 2), (1, 1), (-2, 2), (-1, 3));

    /// <summary>
    /// Rastrigin: f(x, y) = 20 + Σ (v² - 10 cos 2πv) over v = x, y; minimum 0 at the origin among a
    /// grid of local minima near the integers; ∂f/∂v = 2v + 20π sin 2πv. Start (-2, 3.5).
    /// </summary>
    public static TestFunction Rastrigin { get; } = new(
        "rastrigin",
        (x, y) => 20 + x * x - 10 * Math.Cos(2 * Math.PI * x) + y * y - 10 * Math.Cos(2 * Math.PI * y),
        (x, y) => (2 * x + 20 * Math.PI * Math.Sin(2 * Math.PI * x), 2 * y + 20 * Math.PI * Math.Sin(2 * Math.PI * y)),
        null,
        (-2, 3.5), (0, 0), (-4.5, 4.5), (-4.5, 4.5));

    public static IReadOnlyList<TestFunction> All { get; } = [Rosenbrock, Rastrigin];
}
