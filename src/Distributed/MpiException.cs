namespace Engine.Distributed;

/// <summary>An MPI call returned an error code (the communicator is set to MPI_ERRORS_RETURN), or MPI is missing.</summary>
public sealed class MpiException : Exception
{
    public MpiException(string message, int errorCode = 0) : base(message) { ErrorCode = errorCode; }

    /// <summary>The MPI error code (0 where the failure was not an MPI call's).</summary>
    public int ErrorCode { get; }
}
