using System.Text;

namespace Engine;

/// <summary>An immutable list of dimension sizes, printed as <c>[2,3,4]</c>.</summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int[]? _dims;

    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"shape {Format(dims)}: sizes must be >= 0");
        _dims = (int[])dims.Clone();
    }

    private Shape(int[] dims, bool _) => _dims = dims;

    internal static Shape Wrap(int[] dims) => new(dims, true);

    public static Shape Scalar => Wrap([]);

    public int Rank => _dims?.Length ?? 0;

    public int this[int i] => _dims![i];
    public int this[Index i] => _dims![i];

    public ReadOnlySpan<int> AsSpan() => _dims;

    /// <summary>Number of elements (1 for a scalar).</summary>
    public int Numel
    {
        get
        {
            long n = 1;
            if (_dims != null) foreach (var d in _dims) n *= d;
            if (n > int.MaxValue) throw new InvalidOperationException($"shape {this}: more than 2^31-1 elements");
            return (int)n;
        }
    }

    public int[] ToArray() => _dims == null ? [] : (int[])_dims.Clone();

    public static implicit operator Shape(int[] dims) => new(dims);

    public bool Equals(Shape other) => AsSpan().SequenceEqual(other.AsSpan());
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in AsSpan()) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    public override string ToString() => Format(AsSpan());

    public static string Format(ReadOnlySpan<int> dims)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < dims.Length; i++) { if (i > 0) sb.Append(','); sb.Append(dims[i]); }
        return sb.Append(']').ToString();
    }

    /// <summary>
    /// NumPy/PyTorch broadcasting: align from the right; sizes must be equal or one of them 1.
    /// </summary>
    public static Shape Broadcast(Shape a, Shape b, string op)
    {
        int r = Math.Max(a.Rank, b.Rank);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Rank ? 1 : a[i - (r - a.Rank)];
            int db = i < r - b.Rank ? 1 : b[i - (r - b.Rank)];
            if (da != db && da != 1 && db != 1)
                throw new ShapeException($"{op}: shapes {a} and {b} cannot be broadcast: dimension {i} (from the left of the broadcast shape) is {da} vs {db}");
            o[i] = da == 1 ? db : da;
        }
        return Wrap(o);
    }

    /// <summary>Normalizes a possibly negative dim into [0, rank) or throws naming the valid range.</summary>
    public int Dim(int dim, string op) => NormalizeDim(dim, Rank, op);

    public static int NormalizeDim(int dim, int rank, string op)
    {
        int lo = rank == 0 ? -1 : -rank, hi = rank == 0 ? 0 : rank - 1;
        if (dim < lo || dim > hi)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dim {dim} is out of range [{lo}, {hi}] for a tensor of rank {rank}");
        return dim < 0 ? dim + Math.Max(rank, 1) : dim;
    }
}

/// <summary>Thrown when shapes do not fit an op; the message names the op and the shapes.</summary>
public sealed class ShapeException(string message) : ArgumentException(message);

/// <summary>Thrown when tensors on different devices meet; the message names both devices.</summary>
public sealed class DeviceMismatchException(string message) : InvalidOperationException(message);
