namespace Engine.Distributed;

/// <summary>Chooses the communicator for how the process was started.</summary>
public static class Communicator
{
    /// <summary>
    /// Under a launcher (mpirun, srun: one of OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_SIZE is set) the MPI job's
    /// <see cref="MpiCommunicator"/>; otherwise <see cref="LocalCommunicator"/>, without loading MPI at all, so a
    /// program started alone trains as one rank on a machine without Open MPI.
    /// </summary>
    public static ICommunicator FromEnvironment() =>
        LaunchedByMpi ? MpiCommunicator.Init() : LocalCommunicator.Instance;

    /// <summary>True when an MPI launcher started this process.</summary>
    public static bool LaunchedByMpi =>
        new[] { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK" }
            .Any(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)));
}
