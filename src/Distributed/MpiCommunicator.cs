namespace Engine.Distributed;

/// <summary>
/// <see cref="ICommunicator"/> over Open MPI's MPI_COMM_WORLD: every process started by
/// <c>mpirun -np N</c> is one rank. Errors come back as <see cref="MpiException"/> (the communicator's
/// error handler is MPI_ERRORS_RETURN), naming the call and MPI's message. A program started without
/// mpirun is a 1-rank job (MPI's singleton).
/// </summary>
/// <remarks>
/// <para>MPI can be initialized once per process: <see cref="Init"/> returns the same communicator on every
/// call, and <see cref="Dispose"/> (or the process's exit) calls MPI_Finalize, after which MPI cannot be
/// used again in the process.</para>
/// <para>Spans are pinned with <c>fixed</c> for the duration of a call (no copy); the all-reduce is in place
/// (MPI_IN_PLACE). Collectives block until every rank has called them; call them from one thread at a time
/// (MPI_THREAD_MULTIPLE is requested, so that thread need not be the one that initialized MPI).</para>
/// </remarks>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private static readonly object Gate = new();
    private static MpiCommunicator? _instance;
    private readonly OpenMpi _mpi;
    private bool _finalized;

    private MpiCommunicator(OpenMpi mpi, int rank, int size, int threadLevel)
    {
        _mpi = mpi; Rank = rank; Size = size; ThreadLevel = threadLevel;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => OnProcessExit();
    }

    /// <summary>Initializes MPI (once per process) and returns MPI_COMM_WORLD.</summary>
    /// <exception cref="MpiException">libmpi.so.40 is missing (the message names the package), or MPI_Init_thread failed.</exception>
    public static MpiCommunicator Init()
    {
        lock (Gate)
        {
            if (_instance != null)
                return _instance._finalized ? throw new MpiException("MPI: already finalized in this process (MpiCommunicator was disposed); MPI cannot be initialized twice") : _instance;
            var mpi = OpenMpi.Load();
            int flag = 0, provided = 0, rank = 0, size = 0;
            mpi.Check(mpi.Finalized(&flag), "MPI_Finalized");
            if (flag != 0) throw new MpiException("MPI: already finalized in this process; MPI cannot be initialized twice");
            mpi.Check(mpi.Initialized(&flag), "MPI_Initialized");
            if (flag == 0) mpi.Check(mpi.Init_thread(null, null, OpenMpi.ThreadMultiple, &provided), "MPI_Init_thread");
            mpi.Check(mpi.Comm_set_errhandler(mpi.CommWorld, mpi.ErrorsReturn), "MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN)");
            mpi.Check(mpi.Comm_rank(mpi.CommWorld, &rank), "MPI_Comm_rank");
            mpi.Check(mpi.Comm_size(mpi.CommWorld, &size), "MPI_Comm_size");
            return _instance = new MpiCommunicator(mpi, rank, size, provided);
        }
    }

    public int Rank { get; }
    public int Size { get; }
    /// <summary>The thread level MPI granted (3 = MPI_THREAD_MULTIPLE).</summary>
    public int ThreadLevel { get; }

    public void AllreduceSum(Span<float> data)
    {
        ThrowIfFinalized("AllreduceSum");
        if (data.IsEmpty) return;
        fixed (float* p = data)
            _mpi.Check(_mpi.Allreduce((void*)OpenMpi.InPlace, p, data.Length, _mpi.Float, _mpi.OpSum, _mpi.CommWorld), $"MPI_Allreduce(MPI_IN_PLACE, {data.Length} floats, MPI_SUM) on rank {Rank} of {Size}");
    }

    public void Broadcast(Span<float> data, int root = 0)
    {
        ThrowIfFinalized("Broadcast");
        if (root < 0 || root >= Size) throw new ArgumentOutOfRangeException(nameof(root), $"broadcast: root {root} is not a rank of this {Size}-rank job");
        if (data.IsEmpty) return;
        fixed (float* p = data)
            _mpi.Check(_mpi.Bcast(p, data.Length, _mpi.Float, root, _mpi.CommWorld), $"MPI_Bcast({data.Length} floats, root {root}) on rank {Rank} of {Size}");
    }

    public void Barrier()
    {
        ThrowIfFinalized("Barrier");
        _mpi.Check(_mpi.Barrier(_mpi.CommWorld), $"MPI_Barrier on rank {Rank} of {Size}");
    }

    /// <summary>Ends the whole job now (every rank) with the exit code: for a rank that cannot go on.</summary>
    public void Abort(int exitCode)
    {
        ThrowIfFinalized("Abort");
        _mpi.Abort(_mpi.CommWorld, exitCode);
    }

    // A rank leaving with an error (Environment.Exit(code != 0)) aborts the job: MPI_Finalize would wait for
    // ranks that are themselves waiting in a collective for this one, and the job would hang.
    private void OnProcessExit()
    {
        if (Environment.ExitCode != 0 && Size > 1)
        {
            lock (Gate)
            {
                if (_finalized) return;
                _finalized = true;
                Console.Error.WriteLine($"engine: rank {Rank} of {Size} exits with code {Environment.ExitCode}; aborting the MPI job (MPI_Abort)");
                _mpi.Abort(_mpi.CommWorld, Environment.ExitCode);
            }
        }
        Dispose();
    }

    /// <summary>MPI_Finalize (once; also at a process exit with code 0; a non-zero exit calls MPI_Abort instead).</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_finalized) return;
            _finalized = true;
            int flag = 0;
            if (_mpi.Finalized(&flag) == 0 && flag == 0) _mpi.Finalize();
        }
    }

    private void ThrowIfFinalized(string op)
    {
        if (_finalized) throw new MpiException($"MPI: {op} after MPI_Finalize (the MpiCommunicator was disposed)");
    }
}
