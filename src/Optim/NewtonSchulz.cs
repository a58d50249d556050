namespace Engine;

/// <summary>
/// The quintic Newton-Schulz iteration of <see cref="Muon"/> (Jordan et al., 2024): maps a matrix G = U S Vᵀ to
/// about U S' Vᵀ with S' ≈ 1 (between 0.5 and 1.5 after 5 steps), i.e. to the nearest semi-orthogonal matrix,
/// using only matrix products:
/// <code>
/// X = G / (‖G‖_F + 1e-7)          (transposed first when G has more rows than columns)
/// repeat n times:  A = X Xᵀ,  B = b A + c A²,  X = a X + B X        (a, b, c) = (3.4445, -4.7750, 2.0315)
/// </code>
/// The coefficients maximize the slope at 0 rather than converge: fast, and accurate enough for an update
/// direction. The reference runs it in bfloat16 on GPUs; here it is float32.
/// </summary>
public static class NewtonSchulz
{
    public const float A = 3.4445f, B = -4.7750f, C = 2.0315f;

    /// <summary>The orthogonalized g [rows, cols] after steps iterations (a new tensor).</summary>
    public static Tensor Orthogonalize(Tensor g, int steps = 5)
    {
        if (g.Rank != 2) throw new ShapeException($"NewtonSchulz.Orthogonalize: needs a matrix, got shape {g.Shape}");
        using var noGrad = Tensor.NoGrad();
        bool tall = g.Shape[0] > g.Shape[1];
        var x = tall ? g.Transpose(0, 1) : g;
        // X = G / (‖G‖_F + 1e-7): the spectral norm is at most 1, inside the iteration's basin
        x = x.Div(x.Square().Sum().Sqrt().Add(1e-7f));
        for (int i = 0; i < steps; i++)
        {
            var a = x.Matmul(x.Transpose(0, 1));
            // B = b A + c A A
            var b = a.Matmul(a);
            b.Lerp_(a, C, B);
            // X = a X + B X
            var bx = b.Matmul(x);
            x = bx.Add(x.Mul(A));
        }
        return tall ? x.Transpose(0, 1).Contiguous() : x;
    }
}
