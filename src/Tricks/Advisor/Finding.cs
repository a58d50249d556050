namespace Engine.Training;

/// <summary>How much a finding matters: Info = a speed or tidiness nudge, Warning = likely hurts training, Error = a bug.</summary>
public enum Severity { Info, Warning, Error }

/// <summary>
/// One rule of thumb that the model or the training setup breaks.
/// </summary>
/// <param name="RuleId">Stable id of the rule ("batch-size-alignment"), as listed in docs/advisor.md.</param>
/// <param name="Severity">How much it matters.</param>
/// <param name="Message">What is wrong, why it matters, and the suggested change.</param>
/// <param name="Where">The module or parameter group it is about ("2" for the third layer of a Sequential); null for the setup as a whole.</param>
public sealed record Finding(string RuleId, Severity Severity, string Message, string? Where = null)
{
    public override string ToString() =>
        $"[{Severity.ToString().ToLowerInvariant()}] {RuleId}{(Where is null ? "" : $" ({(Where.Length == 0 ? "model" : Where)})")}: {Message}";
}
