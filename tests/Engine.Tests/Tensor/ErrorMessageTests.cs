namespace Engine.Tests.Tensors;

/// <summary>Errors name the op, the shapes, the valid range or both devices.</summary>
public class ErrorMessageTests
{
    [Fact]
    public void MatmulShapeMismatchNamesBothShapes()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(32, 784).Matmul(Tensor.Zeros(512, 10)));
        Assert.Equal("matmul: [32,784] x [512,10]: inner dimensions 784 and 512 differ", e.Message);
        var e1 = Assert.Throws<ShapeException>(() => Tensor.Zeros(3).Matmul(Tensor.Zeros(4)));
        Assert.Contains("[3] x [4]", e1.Message);
        var e2 = Assert.Throws<ShapeException>(() => Tensor.Zeros(2, 3, 4).Matmul(Tensor.Zeros(5, 4, 2)));
        Assert.Contains("[2]", e2.Message);
        Assert.Contains("[5]", e2.Message);
        var e3 = Assert.Throws<ShapeException>(() => Tensor.Zeros(2, 3).Matmul(Tensor.Zeros(2)));
        Assert.Contains("inner dimensions 3 and 2", e3.Message);
    }

    [Fact]
    public void BadDimsNameTheValidRange()
    {
        var x = Tensor.Zeros(2, 3, 4);
        void Range(Action a, string op)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(a);
            Assert.Contains(op, e.Message);
            Assert.Contains("[-3, 2]", e.Message);
        }
        Range(() => x.Sum(3), "sum");
        Range(() => x.Max(-4), "max");
        Range(() => x.Softmax(3), "softmax");
        Range(() => x.Transpose(0, 5), "transpose");
        Range(() => x.Narrow(3, 0, 1), "narrow");
        Range(() => x.Select(-4, 0), "select");
        Range(() => x.Size(7), "size");
        var u = Assert.Throws<ArgumentOutOfRangeException>(() => x.Unsqueeze(4));
        Assert.Contains("[-4, 3]", u.Message);
        var s = Assert.Throws<IndexOutOfRangeException>(() => x.Select(1, 3));
        Assert.Contains("[-3, 2]", s.Message);
        var n = Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(2, 2, 3));
        Assert.Contains("[0, 4]", n.Message);
        var v = Assert.Throws<ShapeException>(() => x.View(5, -1));
        Assert.Contains("[5,-1]", v.Message);
        Assert.Contains("24 elements", v.Message);
    }

    /// <summary>Host memory that claims to live on another device (no backend needed: the device check comes first).</summary>
    private sealed class ForeignStorage(Device device, DType dtype, int length) : Storage(device, dtype, length)
    {
        protected override void Free() { }
    }

    private static readonly Device Other = new(DeviceType.IlgpuCpu, 99);

    private static Tensor Foreign(params int[] shape) => Foreign(DType.Float32, shape);

    private static Tensor Foreign(DType dtype, params int[] shape) => Tensor.Create(new ForeignStorage(Other, dtype, Shape.Wrap(shape).Numel), Layout.Contiguous(Shape.Wrap(shape)));

    [Fact]
    public void DeviceMismatchNamesBothDevices()
    {
        var cpu = Tensor.Zeros(2, 3);
        var gpu = Foreign(2, 3);
        foreach (var (name, op) in new (string, Func<Tensor>)[]
                 {
                     ("add", () => cpu.Add(gpu)), ("sub", () => cpu.Sub(gpu)), ("mul", () => gpu.Mul(cpu)), ("div", () => cpu.Div(gpu)),
                     ("pow", () => cpu.Pow(gpu)), ("matmul", () => cpu.Matmul(Foreign(3, 2))), ("cat", () => Tensor.Cat([cpu, gpu])),
                     ("where", () => Tensor.Where(cpu, cpu, gpu)), ("compare", () => cpu.Lt(gpu)),
                     ("scatter_add", () => cpu.ScatterAdd(0, Tensor.FromArray([0, 0, 0], 1, 3), gpu)),
                     ("gather", () => cpu.Gather(1, Foreign(DType.Int32, 2, 1))), ("index_select", () => cpu.IndexSelect(0, Foreign(DType.Int32, 1))),
                     ("scatter_add", () => cpu.ScatterAdd(0, Foreign(DType.Int32, 1, 3), cpu)),
                 })
        {
            var e = Assert.Throws<DeviceMismatchException>(op);
            Assert.Contains(name, e.Message);
            Assert.Contains("cpu", e.Message);
            Assert.Contains("ilgpu-cpu:99", e.Message);
        }
    }
}
