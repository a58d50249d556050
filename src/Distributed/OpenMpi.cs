using System.Runtime.InteropServices;

namespace Engine.Distributed;

/// <summary>
/// Open MPI's C ABI, bound at run time from libmpi.so.40: function pointers from the library's exports
/// and the predefined handles, which in Open MPI are the addresses of exported globals
/// (MPI_COMM_WORLD = &amp;ompi_mpi_comm_world, MPI_FLOAT = &amp;ompi_mpi_float, MPI_SUM = &amp;ompi_mpi_op_sum,
/// MPI_ERRORS_RETURN = &amp;ompi_mpi_errors_return); MPI_IN_PLACE is (void*)1.
/// </summary>
/// <remarks>
/// MPICH (libmpich.so.12, and Intel MPI, MVAPICH) differs in exactly this place: its handles are 32-bit
/// integer constants (MPI_COMM_WORLD = 0x44000000, MPI_FLOAT = 0x4c00040a, MPI_SUM = 0x58000003,
/// MPI_ERRORS_RETURN = 0x54000001, MPI_IN_PLACE = (void*)-1), and MPI_Comm, MPI_Datatype, MPI_Op are
/// <c>int</c> in the signatures. A binding for it is a second class of this shape with <c>int</c> handle
/// parameters and those constants; <see cref="MpiCommunicator"/> only calls through the members here.
/// Only Open MPI is built and tested (MPI.NET, built for MS-MPI's integer handles, crashes on Open MPI).
/// </remarks>
internal sealed unsafe class OpenMpi
{
    public const string LibraryName = "libmpi.so.40";
    public const string InstallHint = "apt-get install openmpi-bin libopenmpi3";

    // Thread levels (the same numbers in Open MPI and MPICH).
    public const int ThreadSingle = 0, ThreadFunneled = 1, ThreadSerialized = 2, ThreadMultiple = 3;
    public const int MaxErrorString = 256;   // Open MPI's MPI_MAX_ERROR_STRING

    public static readonly nint InPlace = 1;

    public readonly nint CommWorld, Float, OpSum, ErrorsReturn;

    public readonly delegate* unmanaged<int*, byte***, int, int*, int> Init_thread;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> Comm_rank;
    public readonly delegate* unmanaged<nint, int*, int> Comm_size;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<nint, nint, int> Comm_set_errhandler;
    public readonly delegate* unmanaged<int, byte*, int*, int> Error_string;
    public readonly delegate* unmanaged<nint, int, int> Abort;

    private OpenMpi(nint lib)
    {
        Handle = lib;
        CommWorld = Export(lib, "ompi_mpi_comm_world");
        Float = Export(lib, "ompi_mpi_float");
        OpSum = Export(lib, "ompi_mpi_op_sum");
        ErrorsReturn = Export(lib, "ompi_mpi_errors_return");
        Init_thread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export(lib, "MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Export(lib, "MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export(lib, "MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Export(lib, "MPI_Finalize");
        Comm_rank = (delegate* unmanaged<nint, int*, int>)Export(lib, "MPI_Comm_rank");
        Comm_size = (delegate* unmanaged<nint, int*, int>)Export(lib, "MPI_Comm_size");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export(lib, "MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export(lib, "MPI_Bcast");
        Barrier = (delegate* unmanaged<nint, int>)Export(lib, "MPI_Barrier");
        Comm_set_errhandler = (delegate* unmanaged<nint, nint, int>)Export(lib, "MPI_Comm_set_errhandler");
        Error_string = (delegate* unmanaged<int, byte*, int*, int>)Export(lib, "MPI_Error_string");
        Abort = (delegate* unmanaged<nint, int, int>)Export(lib, "MPI_Abort");
    }

    public nint Handle { get; }

    /// <summary>Loads libmpi.so.40 (ENGINE_MPI_LIBRARY overrides the name or path); a clear error where it is missing.</summary>
    public static OpenMpi Load()
    {
        var name = Environment.GetEnvironmentVariable("ENGINE_MPI_LIBRARY") is { Length: > 0 } n ? n : LibraryName;
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            throw new MpiException($"MPI: Engine.Distributed binds Open MPI's {LibraryName}, which runs on Linux; this is {RuntimeInformation.OSDescription}");
        if (!NativeLibrary.TryLoad(name, out var lib))
            throw new MpiException($"MPI: cannot load {name} (Open MPI's library). Install Open MPI: {InstallHint} (and run the program under mpirun; see docs/distributed.md), or point ENGINE_MPI_LIBRARY at libmpi.so.40");
        return new OpenMpi(lib);
    }

    private static nint Export(nint lib, string symbol) =>
        NativeLibrary.TryGetExport(lib, symbol, out var p) ? p
            : throw new MpiException($"MPI: the loaded MPI library has no export '{symbol}'; Engine.Distributed needs Open MPI 4.x ({LibraryName}), not MPICH or another MPI ({InstallHint})");

    /// <summary>MPI's text for an error code.</summary>
    public string ErrorText(int code)
    {
        var buf = stackalloc byte[MaxErrorString + 1];
        int len = 0;
        if (Error_string(code, buf, &len) != 0 || len <= 0) return $"MPI error {code}";
        return System.Text.Encoding.ASCII.GetString(buf, Math.Min(len, MaxErrorString));
    }

    /// <summary>Throws an <see cref="MpiException"/> naming the call when rc is not MPI_SUCCESS.</summary>
    public void Check(int rc, string call)
    {
        if (rc != 0) throw new MpiException($"MPI: {call} failed with error {rc}: {ErrorText(rc)}", rc);
    }
}
