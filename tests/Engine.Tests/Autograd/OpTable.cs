using Engine.Tests.TestUtil;

namespace Engine.Tests.Autograd;

/// <summary>
/// The engine side of every fixture op of fixtures/ops/gen_ops.py: op name -> a function of the float
/// inputs (leaves), given the case's Int32 index inputs and scalar arguments. Shared by the PyTorch
/// fixture tests and the finite-difference gradient checks, so both cover exactly the same ops.
/// </summary>
public static class OpTable
{
    public delegate Tensor Op(Tensor[] x, Tensor[] index, OpCase c);

    public static readonly IReadOnlyDictionary<string, Op> Ops = new Dictionary<string, Op>
    {
        ["add"] = (x, _, _) => x[0].Add(x[1]),
        ["sub"] = (x, _, _) => x[0].Sub(x[1]),
        ["mul"] = (x, _, _) => x[0].Mul(x[1]),
        ["div"] = (x, _, _) => x[0].Div(x[1]),
        ["pow"] = (x, _, _) => x[0].Pow(x[1]),
        ["pow_scalar"] = (x, _, c) => x[0].Pow(c.Float("p")),
        ["neg"] = (x, _, _) => x[0].Neg(),
        ["add_scalar"] = (x, _, c) => x[0] + c.Float("s"),
        ["sub_scalar"] = (x, _, c) => x[0] - c.Float("s"),
        ["rsub_scalar"] = (x, _, c) => c.Float("s") - x[0],
        ["mul_scalar"] = (x, _, c) => x[0] * c.Float("s"),
        ["div_scalar"] = (x, _, c) => x[0] / c.Float("s"),
        ["rdiv_scalar"] = (x, _, c) => c.Float("s") / x[0],
        ["square"] = (x, _, _) => x[0].Square(),
        ["std"] = (x, _, c) => x[0].Std(c.Ints("dims"), c.Bool("keepdim")),
        ["expand_reshape"] = (x, _, c) => x[0].Expand(c.Ints("shape")!).Reshape(c.Ints("to")!),
        ["slice_clone"] = (x, _, c) => x[0].Slice(c.Int("dim"), c.Int("start"), c.Int("end"), c.Int("step")).Clone(),
        ["exp"] = (x, _, _) => x[0].Exp(),
        ["log"] = (x, _, _) => x[0].Log(),
        ["sqrt"] = (x, _, _) => x[0].Sqrt(),
        ["abs"] = (x, _, _) => x[0].Abs(),
        ["relu"] = (x, _, _) => x[0].Relu(),
        ["leaky_relu"] = (x, _, c) => x[0].LeakyRelu(c.Float("slope")),
        ["sigmoid"] = (x, _, _) => x[0].Sigmoid(),
        ["tanh"] = (x, _, _) => x[0].Tanh(),
        ["gelu"] = (x, _, _) => x[0].Gelu(),
        ["clamp"] = (x, _, c) => x[0].Clamp(c.Float("min"), c.Float("max")),
        ["softmax"] = (x, _, c) => x[0].Softmax(c.Int("dim")),
        ["log_softmax"] = (x, _, c) => x[0].LogSoftmax(c.Int("dim")),
        ["sum"] = (x, _, c) => c.Ints("dims") is { } d ? x[0].Sum(d, c.Bool("keepdim")) : x[0].Sum(),
        ["mean"] = (x, _, c) => c.Ints("dims") is { } d ? x[0].Mean(d, c.Bool("keepdim")) : x[0].Mean(),
        ["max"] = (x, _, c) => c.Ints("dims") is { } d ? x[0].Max(d, c.Bool("keepdim")) : x[0].Max(),
        ["min"] = (x, _, c) => c.Ints("dims") is { } d ? x[0].Min(d, c.Bool("keepdim")) : x[0].Min(),
        ["var"] = (x, _, c) => x[0].Var(c.Ints("dims"), c.Bool("keepdim"), c.Int("correction")),
        ["matmul"] = (x, _, _) => x[0].Matmul(x[1]),
        ["view"] = (x, _, c) => x[0].View(c.Ints("shape")!),
        ["reshape"] = (x, _, c) => x[0].Reshape(c.Ints("shape")!),
        ["permute"] = (x, _, c) => x[0].Permute(c.Ints("dims")!),
        ["permute_reshape"] = (x, _, c) => x[0].Permute(c.Ints("dims")!).Reshape(c.Ints("shape")!),
        ["transpose"] = (x, _, c) => x[0].Transpose(c.Int("d0"), c.Int("d1")),
        ["narrow"] = (x, _, c) => x[0].Narrow(c.Int("dim"), c.Int("start"), c.Int("length")),
        ["slice"] = (x, _, c) => x[0].Slice(c.Int("dim"), c.Int("start"), c.Int("end"), c.Int("step")),
        ["select"] = (x, _, c) => x[0].Select(c.Int("dim"), c.Int("at")),
        ["expand"] = (x, _, c) => x[0].Expand(c.Ints("shape")!),
        ["squeeze"] = (x, _, c) => c.Has("dim") ? x[0].Squeeze(c.Int("dim")) : x[0].Squeeze(),
        ["unsqueeze"] = (x, _, c) => x[0].Unsqueeze(c.Int("dim")),
        ["flatten"] = (x, _, c) => x[0].Flatten(c.Int("start"), c.Int("end")),
        ["t_contiguous"] = (x, _, _) => x[0].T.Contiguous(),
        ["cat"] = (x, _, c) => Tensor.Cat(x, c.Int("dim")),
        ["stack"] = (x, _, c) => Tensor.Stack(x, c.Int("dim")),
        ["split"] = (x, _, c) => Tensor.Cat(x[0].Split(c.Int("size"), c.Int("dim")).Select((p, i) => p.Mul(i + 1f)).ToList(), c.Int("dim")),
        ["chunk"] = (x, _, c) => Tensor.Cat(x[0].Chunk(c.Int("chunks"), c.Int("dim")).Select((p, i) => p.Mul(i + 1f)).ToList(), c.Int("dim")),
        ["index_select"] = (x, i, c) => x[0].IndexSelect(c.Int("dim"), i[0]),
        ["gather"] = (x, i, c) => x[0].Gather(c.Int("dim"), i[0]),
        ["scatter_add"] = (x, i, c) => x[0].ScatterAdd(c.Int("dim"), i[0], x[1]),
        ["where"] = (x, _, c) => Tensor.Where(Tensor.FromArray(c.Floats("cond"), c.Ints("cond_shape")!, x[0].Device), x[0], x[1]),
    };

    /// <summary>Runs a fixture case's op on the given float inputs (index inputs come from the case, on the inputs' device).</summary>
    public static Tensor Run(OpCase c, Tensor[] inputs)
    {
        if (!Ops.TryGetValue(c.Op, out var op)) throw new KeyNotFoundException($"fixture case {c.Name}: op '{c.Op}' has no entry in OpTable");
        var device = inputs.Length > 0 ? inputs[0].Device : Device.Cpu;
        var index = c.Index.Select(i => i.ToIntTensor()).Select(t => t.Device == device ? t : t.To(device)).ToArray();
        return op(inputs, index, c);
    }
}
