using Engine.Training;

namespace Engine.Cli;

/// <summary>
/// Ctrl-C during training: the current batch finishes, then training stops by throwing
/// <see cref="OperationCanceledException"/> from OnBatchEnd. Stopping this way (rather than
/// setting StopTraining) skips the epoch-end hooks, so no half-epoch checkpoint is written:
/// last.safetensors stays the last completed epoch, and --resume continues from it.
/// SIGTERM (what `docker stop`, Kubernetes and systemd send) stops the same way as the first Ctrl-C; a second
/// signal of either kind ends the process at once.
/// </summary>
public sealed class Interrupt : Callback, IDisposable
{
    private volatile bool _requested;
    private readonly bool _hooked;
    private readonly System.Runtime.InteropServices.PosixSignalRegistration? _sigterm;

    public Interrupt(bool hookConsole = true)
    {
        if (!hookConsole) return;
        Console.CancelKeyPress += OnCancel;
        _hooked = true;
        if (!OperatingSystem.IsWindows())
            _sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnTerm);
    }

    private void OnTerm(System.Runtime.InteropServices.PosixSignalContext ctx)
    {
        if (_requested) return;            // a second signal terminates as usual
        ctx.Cancel = true;
        _requested = true;
        Console.Error.WriteLine("engine: SIGTERM: stopping after the current batch (send it again to kill)...");
    }

    public bool Requested => _requested;

    /// <summary>Optional condition checked after every batch, as if Ctrl-C came then (tests, time limits).</summary>
    public Func<TrainContext, bool>? When { get; init; }

    /// <summary>Asks training to stop after the current batch (what Ctrl-C does).</summary>
    public void Request() => _requested = true;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        if (_requested) return;            // a second Ctrl-C kills the process as usual
        e.Cancel = true;
        _requested = true;
        Console.Error.WriteLine("engine: stopping after the current batch (Ctrl-C again to kill)...");
    }

    public override void OnBatchEnd(TrainContext ctx)
    {
        if (When?.Invoke(ctx) == true) _requested = true;
        if (_requested) throw new OperationCanceledException($"interrupted in epoch {ctx.Epoch + 1}, batch {ctx.Batch + 1}");
    }

    public void Dispose()
    {
        if (_hooked) Console.CancelKeyPress -= OnCancel;
        _sigterm?.Dispose();
    }
}
