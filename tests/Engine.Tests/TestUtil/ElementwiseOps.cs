using System.Reflection;

namespace Engine.Tests.TestUtil;

/// <summary>
/// Every elementwise op struct of the engine (found by reflection, so a new op is covered without being listed), each
/// with a few instances of its constructor arguments, and a check that an op gives the same bits for the same input
/// wherever the input sits: at every lane of a vector, in the partial vector at the end of a run, through a strided
/// view, alone in a one-element tensor (issue 14: tanh of 0.7 was 0.6043678 at element 0 and 0.60436773 at element 8).
/// </summary>
public static class ElementwiseOps
{
    /// <summary>Special and ordinary values: NaN, infinities, signed zeros, a denormal, the tanh branch point, big numbers.</summary>
    public static readonly float[] Values =
        [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 1e-40f, -1e-40f, 1e-7f, 0.1f, 0.5f, 0.625f, 0.7f,
         1f, -1f, 2.5f, -3.75f, 10f, 88f, -88f, 100f, 3e38f, -0.3f];

    /// <summary>A run of 21 = 16 + 5: two 8-float vectors (one 16-float vector) and a partial one at every width.</summary>
    public const int Run = 21;

    private static readonly Dictionary<string, float[]> ArgValues = new(StringComparer.OrdinalIgnoreCase)
    {
        ["p"] = [2f, 1f, 0.5f, -1f, 3f, -1.5f], ["scale"] = [1.5f], ["shift"] = [-0.25f], ["slope"] = [0.1f],
        ["min"] = [-0.5f], ["max"] = [0.75f], ["alpha"] = [0.9f], ["beta"] = [0.1f], ["div"] = [0.7f], ["eps"] = [1e-8f],
        ["stepSize"] = [0.01f], ["lower"] = [0.001f], ["upper"] = [0.1f],
    };

    private static IEnumerable<Type> OpTypes(Type iface) =>
        new[] { typeof(Engine.Kernels.Ops.AddOp).Assembly, typeof(Engine.Optim.Ops.SquareLerpOp).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => t.IsValueType && t.IsPublic && iface.IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal);

    /// <summary>(name, instance) for every unary op struct and every argument combination.</summary>
    public static IEnumerable<(string Name, object Op)> Unary() => Instances(typeof(IUnaryOp));

    /// <summary>(name, instance) for every binary op struct and every argument combination.</summary>
    public static IEnumerable<(string Name, object Op)> Binary() => Instances(typeof(IBinaryOp));

    private static IEnumerable<(string, object)> Instances(Type iface)
    {
        foreach (var t in OpTypes(iface))
        {
            var ctor = t.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
            var ps = ctor?.GetParameters() ?? [];
            if (ps.Length == 0) { yield return (t.Name, Activator.CreateInstance(t)!); continue; }
            IEnumerable<object[]> combos = [[]];
            foreach (var p in ps)
            {
                object[] choices = p.ParameterType.IsEnum ? Enum.GetValues(p.ParameterType).Cast<object>().ToArray()
                    : p.ParameterType == typeof(float) ? (ArgValues.TryGetValue(p.Name!, out var v) ? v : [0.3f]).Cast<object>().ToArray()
                    : throw new InvalidOperationException($"{t.Name}: no test values for a parameter of type {p.ParameterType}");
                combos = combos.SelectMany(c => choices.Select(x => c.Append(x).ToArray())).ToArray();
            }
            foreach (var args in combos)
                yield return ($"{t.Name}({string.Join(", ", args)})", ctor!.Invoke(args));
        }
    }

    private static readonly MethodInfo MapMethod = typeof(IBackend).GetMethod(nameof(IBackend.Map))!;
    private static readonly MethodInfo ZipMethod = typeof(IBackend).GetMethod(nameof(IBackend.Zip))!;

    public static Tensor Map(IBackend be, Tensor x, object op) => (Tensor)MapMethod.MakeGenericMethod(op.GetType()).Invoke(be, [x, op])!;
    public static Tensor Zip(IBackend be, Tensor a, Tensor b, object op) => (Tensor)ZipMethod.MakeGenericMethod(op.GetType()).Invoke(be, [a, b, op])!;

    /// <summary>Rows of a [rows, Run] result must each hold one bit pattern; the strided result must equal the contiguous one.</summary>
    public static void SameBitsPerRow(string what, float[] y, float[] strided, float[] single, Func<int, string> row)
    {
        int rows = y.Length / Run;
        for (int r = 0; r < rows; r++)
        {
            int first = BitConverter.SingleToInt32Bits(y[r * Run]);
            for (int i = 0; i < Run; i++)
            {
                int bits = BitConverter.SingleToInt32Bits(y[r * Run + i]), sbits = BitConverter.SingleToInt32Bits(strided[r * Run + i]);
                if (bits != first)
                    Assert.Fail($"{what}, {row(r)}: element {i} of the run is {y[r * Run + i]:G9} (0x{bits:x8}), element 0 is {y[r * Run]:G9} (0x{first:x8})");
                if (sbits != first)
                    Assert.Fail($"{what}, {row(r)}: element {i} of a strided view is {strided[r * Run + i]:G9} (0x{sbits:x8}), contiguous {y[r * Run]:G9} (0x{first:x8})");
            }
            if (BitConverter.SingleToInt32Bits(single[r]) != first)
                Assert.Fail($"{what}, {row(r)}: alone it is {single[r]:G9} (0x{BitConverter.SingleToInt32Bits(single[r]):x8}), in a run {y[r * Run]:G9} (0x{first:x8})");
        }
    }

    /// <summary>
    /// Every unary op on one device: x [V, Run] with row v filled with Values[v], the same through a transposed (strided)
    /// view, and each value alone.
    /// </summary>
    public static void CheckUnary(Device d)
    {
        var be = d.Backend;
        int V = Values.Length;
        var rows = Values.SelectMany(v => Enumerable.Repeat(v, Run)).ToArray();
        var x = Tensor.FromArray(rows, [V, Run], d);
        var xt = Tensor.FromArray(Transposed(rows, V, Run), [Run, V], d).Transpose(0, 1);  // [V, Run], strides (1, V)
        var single = Tensor.FromArray(Values, [V, 1], d);
        foreach (var (name, op) in Unary())
        {
            var y = Map(be, x, op).ToArray();
            var ys = Map(be, xt, op).ToArray();
            var y1 = Map(be, single, op).ToArray();
            SameBitsPerRow($"{name} on {d}", y, ys, y1, r => $"x = {Values[r]:G9}");
        }
    }

    /// <summary>Every binary op on one device over every pair of Values (rows of [V*V, Run]), with b broadcast from a column as well.</summary>
    public static void CheckBinary(Device d)
    {
        var be = d.Backend;
        int V = Values.Length, P = V * V;
        var av = new float[P * Run]; var bv = new float[P * Run]; var a1 = new float[P]; var b1 = new float[P];
        for (int i = 0; i < V; i++)
            for (int j = 0; j < V; j++)
            {
                int p = i * V + j;
                a1[p] = Values[i]; b1[p] = Values[j];
                for (int k = 0; k < Run; k++) { av[p * Run + k] = Values[i]; bv[p * Run + k] = Values[j]; }
            }
        var a = Tensor.FromArray(av, [P, Run], d); var b = Tensor.FromArray(bv, [P, Run], d);
        var at = Tensor.FromArray(Transposed(av, P, Run), [Run, P], d).Transpose(0, 1);
        var bCol = Tensor.FromArray(b1, [P, 1], d).Expand(P, Run);                            // stride 0 along the run
        var sa = Tensor.FromArray(a1, [P, 1], d); var sb = Tensor.FromArray(b1, [P, 1], d);
        foreach (var (name, op) in Binary())
        {
            var y = Zip(be, a, b, op).ToArray();
            var ys = Zip(be, at, bCol, op).ToArray();
            var y1 = Zip(be, sa, sb, op).ToArray();
            SameBitsPerRow($"{name} on {d}", y, ys, y1, r => $"a = {a1[r]:G9}, b = {b1[r]:G9}");
        }
    }

    /// <summary>
    /// Every op on the CPU at every width this machine supports (AVX-512, AVX2, scalar): the same inputs (all pairs of
    /// Values, in runs of 21 and through a strided view) give the same bits at every width.
    /// </summary>
    public static void CheckWidthsAgree()
    {
        var be = Device.Cpu.Backend;
        int V = Values.Length, P = V * V;
        var av = new float[P * Run]; var bv = new float[P * Run];
        for (int i = 0; i < V; i++)
            for (int j = 0; j < V; j++)
                for (int k = 0; k < Run; k++) { av[(i * V + j) * Run + k] = Values[i]; bv[(i * V + j) * Run + k] = Values[j]; }
        var a = Tensor.FromArray(av, P, Run); var b = Tensor.FromArray(bv, P, Run);
        var at = Tensor.FromArray(Transposed(av, P, Run), Run, P).Transpose(0, 1);
        var levels = CpuSettings.SupportedLevels;
        Assert.Contains(SimdLevel.Scalar, levels);
        void Same(string name, Func<float[]> run)
        {
            float[]? first = null; SimdLevel firstLevel = default;
            foreach (var level in levels)
            {
                float[] y;
                using (CpuSettings.UseSimd(level)) y = run();
                if (first == null) { first = y; firstLevel = level; continue; }
                for (int i = 0; i < y.Length; i++)
                    if (BitConverter.SingleToInt32Bits(y[i]) != BitConverter.SingleToInt32Bits(first[i]))
                        Assert.Fail($"{name}: element {i} (a = {av[i]:G9}, b = {bv[i]:G9}) is {y[i]:G9} at {level}, {first[i]:G9} at {firstLevel}");
            }
        }
        foreach (var (name, op) in Unary()) { Same(name, () => Map(be, a, op).ToArray()); Same(name + " strided", () => Map(be, at, op).ToArray()); }
        foreach (var (name, op) in Binary()) { Same(name, () => Zip(be, a, b, op).ToArray()); Same(name + " strided", () => Zip(be, at, b, op).ToArray()); }
    }

    private static float[] Transposed(float[] x, int r, int c)
    {
        var t = new float[x.Length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t[j * r + i] = x[i * c + j];
        return t;
    }
}
