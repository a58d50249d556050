namespace Engine.Distributed;

/// <summary>
/// The collectives data-parallel training needs, over a group of <see cref="Size"/> processes
/// (ranks 0..Size-1), each running the same program. Every rank must call the same collectives in the
/// same order with the same lengths (MPI's rule); a call blocks until all ranks have made it.
/// </summary>
/// <remarks>
/// The core has no native dependency: <see cref="LocalCommunicator"/> is the 1-rank group. The optional
/// Engine.Distributed package binds Open MPI (<c>MpiCommunicator</c>) for many processes and machines.
/// </remarks>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index in the group, 0 ≤ Rank &lt; Size.</summary>
    int Rank { get; }

    /// <summary>Number of processes in the group.</summary>
    int Size { get; }

    /// <summary>In place: data[i] = Σ over ranks of data[i] (every rank ends with the same sums).</summary>
    void AllreduceSum(Span<float> data);

    /// <summary>In place: every rank's data becomes root's data (lengths equal on all ranks).</summary>
    void Broadcast(Span<float> data, int root = 0);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();
}

/// <summary>Helpers over any communicator.</summary>
public static class CommunicatorExtensions
{
    /// <summary>True on rank 0, the rank that writes files and draws progress.</summary>
    public static bool IsRoot(this ICommunicator comm) => comm.Rank == 0;

    /// <summary>Root's value of a flag on every rank (decisions made on rank 0, such as early stopping).</summary>
    public static bool BroadcastFlag(this ICommunicator comm, bool value, int root = 0)
    {
        Span<float> v = [value ? 1f : 0f];
        comm.Broadcast(v, root);
        return v[0] != 0f;
    }

    /// <summary>Σ over ranks of one number.</summary>
    public static float AllreduceSum(this ICommunicator comm, float value)
    {
        Span<float> v = [value];
        comm.AllreduceSum(v);
        return v[0];
    }
}
