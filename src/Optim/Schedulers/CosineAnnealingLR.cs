namespace Engine;

/// <summary>
/// Cosine annealing (Loshchilov and Hutter 2017, without restarts), as torch CosineAnnealingLR:
/// <code>η_t = η_min + (η₀ - η_min) (1 + cos(π t / T_max)) / 2</code>
/// reaching η_min at t = T_max. Past T_max it rises again along the same cosine (PyTorch's behavior);
/// to stay at η_min, stop stepping or use <see cref="CosineAnnealingWarmRestarts"/> for restarts.
/// </summary>
/// <remarks>
/// Computed in PyTorch's recursive form (each rate from the previous one), so another scheduler that
/// changes the lr in between composes the way it does in PyTorch; alone it equals the formula above.
/// </remarks>
public sealed class CosineAnnealingLR : LrScheduler
{
    public int TMax { get; }
    public double EtaMin { get; }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax < 1) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "CosineAnnealingLR: tMax must be >= 1");
        TMax = tMax;
        EtaMin = etaMin;
        InitialStep();
    }

    protected override double[] ComputeLr()
    {
        int t = LastEpoch;
        var lrs = CurrentLrs();
        if (t == 0) return lrs;
        if ((t - 1 - TMax) % (2 * TMax) == 0)
            // the trough was the last step: climb back by the first step of the cosine
            return lrs.Select((lr, i) => lr + (BaseLrs[i] - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2).ToArray();
        // ratio of consecutive cosine values, applied to the distance from η_min
        return lrs.Select(lr => (1 + Math.Cos(Math.PI * t / TMax)) / (1 + Math.Cos(Math.PI * (t - 1) / TMax)) * (lr - EtaMin) + EtaMin).ToArray();
    }
}

/// <summary>
/// Cosine annealing with warm restarts (SGDR, Loshchilov and Hutter 2017), as torch
/// CosineAnnealingWarmRestarts:
/// <code>η = η_min + (η₀ - η_min) (1 + cos(π T_cur / T_i)) / 2</code>
/// where T_cur counts steps since the last restart and the period T_i starts at T₀ and is multiplied
/// by T_mult at each restart.
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LrScheduler
{
    public int T0 { get; }
    public int TMult { get; }
    public double EtaMin { get; }
    /// <summary>Length of the current period.</summary>
    public int TI { get; private set; }
    /// <summary>Steps since the last restart (fractional after <see cref="Step(double)"/>).</summary>
    public double TCur { get; private set; }

    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0) : base(optimizer)
    {
        if (t0 < 1) throw new ArgumentOutOfRangeException(nameof(t0), t0, "CosineAnnealingWarmRestarts: t0 must be >= 1");
        if (tMult < 1) throw new ArgumentOutOfRangeException(nameof(tMult), tMult, "CosineAnnealingWarmRestarts: tMult must be >= 1");
        T0 = t0; TMult = tMult; EtaMin = etaMin;
        TI = t0;
        TCur = -1;
        InitialStep();
    }

    public override void Step()
    {
        StepCount++;
        if (LastEpoch < 0) { TI = T0; TCur = 0; LastEpoch = 0; }
        else
        {
            LastEpoch++;
            TCur++;
            if (TCur >= TI) { TCur -= TI; TI *= TMult; }     // restart: the period grows by T_mult
        }
        SetLrs(ComputeLr());
    }

    /// <summary>
    /// Jumps to a (fractional) epoch, for stepping per batch in epoch units:
    /// <c>sched.Step(epoch + i / (double)batchesPerEpoch)</c>, as PyTorch's <c>step(epoch)</c>.
    /// </summary>
    public void Step(double epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "CosineAnnealingWarmRestarts: epoch must be >= 0");
        StepCount++;
        if (epoch >= T0)
        {
            if (TMult == 1) TCur = epoch % T0;
            else
            {
                // the restart index n solves T₀ (T_mult^n - 1) / (T_mult - 1) <= epoch
                int n = (int)Math.Log(epoch / T0 * (TMult - 1) + 1, TMult);
                TCur = epoch - T0 * (Math.Pow(TMult, n) - 1) / (TMult - 1);
                TI = T0 * (int)Math.Pow(TMult, n);
            }
        }
        else { TI = T0; TCur = epoch; }
        LastEpoch = (int)Math.Floor(epoch);
        SetLrs(ComputeLr());
    }

    protected override double[] ComputeLr() =>
        BaseLrs.Select(b => EtaMin + (b - EtaMin) * (1 + Math.Cos(Math.PI * TCur / TI)) / 2).ToArray();

    protected override void SaveExtra(StateDict state)
    {
        state.Values["T_i"] = TI;
        state.Values["T_cur"] = TCur;
    }

    protected override void LoadExtra(StateDict state)
    {
        TI = (int)state.Value("T_i", nameof(CosineAnnealingWarmRestarts));
        TCur = state.Value("T_cur", nameof(CosineAnnealingWarmRestarts));
    }
}
