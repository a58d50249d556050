namespace Engine;

/// <summary>
/// Optional kernels a backend may add to <see cref="IBackend"/>: hand-written gradients and fused cells. Autograd uses
/// them when <c>tensor.Backend is IFusedKernels</c>, and otherwise composes the same results from the forward
/// primitives of IBackend (conv's gradients as convolutions, pooling's through scatter-add and strided views, the
/// recurrent cells from sigmoid, tanh and products), so a new device works with IBackend alone. The CPU and ILGPU
/// backends implement both.
/// </summary>
public interface IFusedKernels
{
    /// <summary>
    /// The gradients of <see cref="IBackend.Conv2d"/> that are asked for (null where not): dx [N,C,H,W],
    /// dw [K,C/groups,R,S] and db [K] (dy summed over N, P, Q).
    /// </summary>
    (Tensor? dx, Tensor? dw, Tensor? db) Conv2dBackward(Tensor dy, Tensor x, Tensor w, Conv2dArgs args, bool needDx, bool needDw, bool needDb);

    /// <summary>dx [N,C,H,W]: dy [N,C,P,Q] routed to the flat indices <see cref="IBackend.MaxPool2d"/> returned.</summary>
    Tensor MaxPool2dBackward(Tensor dy, Tensor indices, Shape xShape);
    /// <summary>dx [N,C,H,W]: dy [N,C,P,Q] / divisor spread over each window.</summary>
    Tensor AvgPool2dBackward(Tensor dy, Shape xShape, Pool2dArgs args);

    /// <summary>
    /// LSTM cell, gates fused. gates [B,4H] pre-activations in PyTorch order (i, f, g, o), cPrev [B,H].
    /// c = sigmoid(f)*cPrev + sigmoid(i)*tanh(g); h = sigmoid(o)*tanh(c). act [B,4H] keeps the activated gates for backward.
    /// </summary>
    (Tensor h, Tensor c, Tensor act) LstmCell(Tensor gates, Tensor cPrev);
    /// <summary>Gradients of <see cref="LstmCell"/>: from dh, dc (both [B,H]; dc may be null) to dGates [B,4H] and dcPrev [B,H].</summary>
    (Tensor dGates, Tensor dcPrev) LstmCellBackward(Tensor dh, Tensor? dc, Tensor act, Tensor cPrev, Tensor c);

    /// <summary>
    /// GRU cell, PyTorch's formulation. xg = x W_ih^T + b_ih [B,3H], hg = h W_hh^T + b_hh [B,3H], gates (r, z, n):
    /// r = sigmoid(xr + hr), z = sigmoid(xz + hz), n = tanh(xn + r*hn), h' = (1-z)*n + z*hPrev. act [B,3H] keeps (r, z, n).
    /// </summary>
    (Tensor h, Tensor act) GruCell(Tensor xg, Tensor hg, Tensor hPrev);
    /// <summary>Gradients of <see cref="GruCell"/>: dxg [B,3H], dhg [B,3H], dhPrev [B,H].</summary>
    (Tensor dxg, Tensor dhg, Tensor dhPrev) GruCellBackward(Tensor dh, Tensor act, Tensor hg, Tensor hPrev);
}
