using Engine.Optim.Linalg;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// SOAP, Shampoo with Adam in the preconditioner's eigenbasis (Vyas et al., "SOAP: Improving and Stabilizing
/// Shampoo using Adam", ICLR 2025, Algorithm 3, as the authors' soap.py). For each dimension i of a weight
/// (up to max_precond_dim long) it keeps Shampoo's factor Lᵢ, an average of the gradient's mode-i Gram matrix,
/// and its eigenbasis Qᵢ; Adam runs on the gradient rotated into those bases, and the step is rotated back.
/// The bases are refreshed every f steps by one power iteration and a QR decomposition. Decoupled weight decay,
/// applied after the step:
/// <code>
/// first step:   Lᵢ = (1 - β_s) Gᵢ Gᵢᵀ,  Qᵢ = eigenvectors of Lᵢ (descending), no update   (Gᵢ: g unfolded along i)
/// later steps:  g' = g ×₁ Q₁ ×₂ Q₂ ...            (rotate into the eigenbases)
///               m = β₁ m + (1 - β₁) g',  v = β₂ v + (1 - β₂) g'²
///               θ = θ - η √(1 - β₂ᵗ) / (1 - β₁ᵗ) · (m / (√v + ε)) ×₁ Q₁ᵀ ×₂ Q₂ᵀ ...
///               θ = θ - η λ θ
///               Lᵢ = β_s Lᵢ + (1 - β_s) Gᵢ Gᵢᵀ
///               every f steps: order Qᵢ's columns by diag(QᵢᵀLᵢQᵢ) (v's entries with them), Qᵢ = qr(Lᵢ Qᵢ).Q
///               m is kept in the current bases (rotated into the new ones when they change)
/// </code>
/// </summary>
/// <remarks>
/// Defaults as soap.py: lr 3e-3, betas (0.95, 0.95), shampoo β_s = β₂ (when negative), ε 1e-8, weight decay 0.01,
/// precondition frequency 10, max_precond_dim 10000, bias correction on; no dimension merging and no
/// preconditioning of 1-D tensors (those get Adam). The rotations are matrix products on the device; the
/// eigendecomposition (first step) and the QR refresh run in double on the host (<see cref="SymmetricEigen"/>,
/// <see cref="Qr"/>): O(d³) per dimension, so keep max_precond_dim within reason. State: <c>exp_avg</c>,
/// <c>exp_avg_sq</c> and per preconditioned dimension <c>GG.i</c> and <c>Q.i</c> ([dᵢ, dᵢ]).
/// </remarks>
public sealed class SOAP : Optimizer
{
    public SOAP(IEnumerable<Tensor> parameters, double lr = 3e-3, double beta1 = 0.95, double beta2 = 0.95, double shampooBeta = -1, double eps = 1e-8,
                double weightDecay = 0.01, int preconditionFrequency = 10, int maxPrecondDim = 10000, bool correctBias = true)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, shampooBeta, eps, weightDecay, preconditionFrequency, maxPrecondDim, correctBias) { }

    public SOAP(IEnumerable<ParamGroup> groups, double lr = 3e-3, double beta1 = 0.95, double beta2 = 0.95, double shampooBeta = -1, double eps = 1e-8,
                double weightDecay = 0.01, int preconditionFrequency = 10, int maxPrecondDim = 10000, bool correctBias = true)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["shampoo_beta"] = shampooBeta, ["eps"] = eps, ["weight_decay"] = weightDecay,
            ["precondition_frequency"] = preconditionFrequency, ["max_precond_dim"] = maxPrecondDim, ["correct_bias"] = correctBias ? 1 : 0,
        })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
        Require(group, index, "shampoo_beta", v => v < 1, "< 1 (negative: use beta2)");
        Require(group, index, "precondition_frequency", v => v >= 1 && v == Math.Floor(v), "a positive integer");
        Require(group, index, "max_precond_dim", v => v >= 1, ">= 1");
    }

    protected override bool IsParamShaped(string buffer) => buffer is "exp_avg" or "exp_avg_sq";

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double b1 = group["beta1"], b2 = group["beta2"];
        double shampooBeta = group["shampoo_beta"] >= 0 ? group["shampoo_beta"] : b2;
        int maxDim = (int)group["max_precond_dim"];
        // which dimensions get a preconditioner (none for 1-D tensors: Adam)
        var dims = Enumerable.Range(0, param.Rank).Where(i => param.Rank > 1 && param.Shape[i] <= maxDim).ToArray();
        var m = state.Zeros("exp_avg", param);
        var v = state.Zeros("exp_avg_sq", param);
        var g = grad.Contiguous();

        if (state.Value("initialized", 0) == 0)
        {
            // the first gradient only starts the preconditioners, so the bases never contain the gradient they rotate
            foreach (int i in dims) state.Zeros($"GG.{i}", Tensor.Zeros(new Shape(param.Shape[i], param.Shape[i]), param.Device));
            AccumulateGram(g, state, dims, shampooBeta);
            // the eigendecompositions are independent host work: one dimension per core
            var grams = dims.Select(i => state[$"GG.{i}"].ToArray()).ToArray();
            var bases = new float[dims.Length][];
            Parallel.For(0, dims.Length, d => bases[d] = Eigenbasis(grams[d], param.Shape[dims[d]]));
            for (int d = 0; d < dims.Length; d++)
                state.Set($"Q.{dims[d]}", Tensor.FromArray(bases[d], [param.Shape[dims[d]], param.Shape[dims[d]]], param.Device));
            state.SetValue("initialized", 1);
            return;
        }

        long t = ++state.Step;
        // g' = g rotated into the eigenbases
        var gp = Project(g, state, param.Rank, back: false);
        // m = β₁ m + (1 - β₁) g',  v = β₂ v + (1 - β₂) g'²   (Adam in the rotated coordinates)
        m.Lerp_(gp, (float)b1, (float)(1 - b1));
        v.Apply_(gp, new SquareLerpOp((float)b2, (float)(1 - b2)));
        // u = (m / (√v + ε)) rotated back
        var u = v.Map(new SqrtDivAddOp(1f, (float)group["eps"]));
        u.Apply_(m, new DivideIntoOp());
        u = Project(u, state, param.Rank, back: true);
        double stepSize = group.Lr;
        if (group.Flag("correct_bias")) stepSize *= Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
        // θ = θ - η̂ u, then θ = θ - η λ θ
        param.Add_(u, (float)-stepSize);
        double decay = group.Lr * group.WeightDecay;
        if (decay != 0) param.Mul_((float)(1 - decay));

        // the preconditioners: Lᵢ updated; every f steps the bases are refreshed and m moves into them (rotated back
        // with the old bases, forward with the new). soap.py rotates m back and forth on every step; with unchanged
        // bases that is the identity up to rounding, and skipping it saves 4 of the step's 10 matrix products.
        AccumulateGram(g, state, dims, shampooBeta);
        if (t % (long)group["precondition_frequency"] == 0)
        {
            var original = Project(m, state, param.Rank, back: true);
            RefreshBases(state, dims, v);
            m.Copy_(Project(original, state, param.Rank, back: false));
        }
    }

    /// <summary>Lᵢ = β_s Lᵢ + (1 - β_s) Gᵢ Gᵢᵀ, Gᵢ = g unfolded along dimension i ([dᵢ, rest]).</summary>
    private static void AccumulateGram(Tensor g, ParamState state, int[] dims, double beta)
    {
        foreach (int i in dims)
        {
            var order = new[] { i }.Concat(Enumerable.Range(0, g.Rank).Where(k => k != i)).ToArray();
            var unfold = g.Permute(order).Contiguous().Reshape(g.Shape[i], -1);
            state[$"GG.{i}"].Lerp_(unfold.Matmul(unfold.Transpose(0, 1)), (float)beta, (float)(1 - beta));
        }
    }

    /// <summary>
    /// x ×₀ Q₀ ×₁ Q₁ ... (back: with Qᵢᵀ): each dimension in turn is contracted with its basis and moved last, so
    /// after all of them the order is the original one; dimensions without a basis are only moved.
    /// </summary>
    private static Tensor Project(Tensor x, ParamState state, int rank, bool back)
    {
        for (int i = 0; i < rank; i++)
        {
            int d0 = x.Shape[0];
            var rest = x.Shape.ToArray()[1..];
            // [d₀, rest]ᵀ = [rest, d₀], then times Qᵢ (or Qᵢᵀ): the new last dimension
            var u = x.Contiguous().Reshape(d0, -1).Transpose(0, 1);
            var q = state.Has($"Q.{i}") ? state[$"Q.{i}"] : null;
            var y = q is null ? u.Contiguous() : u.Matmul(back ? q.Transpose(0, 1) : q);
            x = y.Reshape([.. rest, d0]);
        }
        return x;
    }

    /// <summary>The eigenvectors of a symmetric matrix as columns, by descending eigenvalue (soap.py's flipped eigh).</summary>
    private static float[] Eigenbasis(float[] gram, int n)
    {
        var a = gram.Select(x => (double)x).ToArray();
        for (int i = 0; i < n; i++) a[i * n + i] += 1e-30;
        var (_, vectors) = SymmetricEigen.Decompose(a, n);
        var q = new float[n * n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) q[r * n + c] = (float)vectors[r * n + (n - 1 - c)];
        return q;
    }

    /// <summary>One power iteration per basis: sort Qᵢ by the estimated eigenvalues diag(QᵢᵀLᵢQᵢ) (permuting v along i with it), then Qᵢ = qr(Lᵢ Qᵢ).Q.</summary>
    private static void RefreshBases(ParamState state, int[] dims, Tensor v)
    {
        var powers = new double[dims.Length][];
        for (int d = 0; d < dims.Length; d++)
        {
            int i = dims[d];
            var gram = state[$"GG.{i}"];
            var q = state[$"Q.{i}"];
            int n = gram.Shape[0];
            var lq = gram.Matmul(q);
            var est = q.Mul(lq).Sum(0).ToArray();                 // diag(QᵀLQ)ⱼ = Σₖ Qₖⱼ (LQ)ₖⱼ
            var order = Enumerable.Range(0, n).OrderByDescending(j => est[j]).ToArray();
            var index = Tensor.FromArray(order, n).To(v.Device);
            v.Copy_(v.IndexSelect(i, index));
            powers[d] = lq.IndexSelect(1, index).ToArray().Select(x => (double)x).ToArray();   // L (Q permuted)
        }
        // the QR decompositions are independent host work: one dimension per core
        var bases = new double[dims.Length][];
        Parallel.For(0, dims.Length, d => { int n = (int)Math.Sqrt(powers[d].Length); bases[d] = Qr.Q(powers[d], n, n); });
        for (int d = 0; d < dims.Length; d++)
        {
            var old = state[$"Q.{dims[d]}"];
            int n = old.Shape[0];
            state.Set($"Q.{dims[d]}", Tensor.FromArray(bases[d].Select(x => (float)x).ToArray(), [n, n], old.Device));
        }
    }
}
