namespace Engine;

/// <summary>
/// A fused layer norm over the last n elements of each row (llm.c's layernorm_forward / layernorm_backward pair):
/// x seen as [R, n]; mean_r = sum(x_r)/n, rstd_r = 1/sqrt(sum((x_r - mean_r)^2)/n + eps), xhat = (x - mean) rstd,
/// y = xhat w + b (w, b [n], optional). Autograd uses it when <c>tensor.Backend is ILayerNormKernels</c>, otherwise the
/// composed ops of <c>F.LayerNormNaive</c>.
/// </summary>
public interface ILayerNormKernels
{
    /// <summary>y (x's shape), mean [R] and rstd [R].</summary>
    (Tensor Y, Tensor Mean, Tensor Rstd) LayerNormForward(Tensor x, Tensor? weight, Tensor? bias, int n, float eps);

    /// <summary>
    /// g = dy w (dy without w), dx = rstd (g - mean(g) - xhat mean(g xhat)); dw = sum_r dy xhat, db = sum_r dy
    /// (null unless asked for; [n]).
    /// </summary>
    (Tensor Dx, Tensor? Dw, Tensor? Db) LayerNormBackward(Tensor dy, Tensor x, Tensor mean, Tensor rstd, Tensor? weight, int n,
        bool needDw, bool needDb);
}
