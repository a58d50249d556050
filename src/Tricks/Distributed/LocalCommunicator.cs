namespace Engine.Distributed;

/// <summary>
/// The group of one process: sums and broadcasts leave the data as it is. Training with it is plain
/// single-process training, so code written for <see cref="ICommunicator"/> runs without MPI.
/// </summary>
public sealed class LocalCommunicator : ICommunicator
{
    public static LocalCommunicator Instance { get; } = new();

    public int Rank => 0;
    public int Size => 1;
    public void AllreduceSum(Span<float> data) { }

    public void Broadcast(Span<float> data, int root = 0)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), $"broadcast: root {root} is not a rank of a 1-rank group");
    }

    public void Barrier() { }
    public void Dispose() { }
}
