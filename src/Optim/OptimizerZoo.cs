using System.Globalization;

namespace Engine;

/// <summary>The settings a command line gives an optimizer: null takes the optimizer's own default.</summary>
/// <param name="Base">The inner optimizer of lookahead, sam and asam (a zoo name).</param>
public sealed record ZooSettings(double? Lr = null, double? WeightDecay = null, double? Momentum = null, string? Base = null);

/// <summary>One optimizer of the zoo: its name (lower case, as pytorch_optimizer spells it), paper, defaults and a factory.</summary>
/// <param name="Name">The name on the command line.</param>
/// <param name="Paper">Authors, title, venue and year.</param>
/// <param name="Defaults">Its default hyperparameters, as text.</param>
/// <param name="Lr">Its default learning rate (SGD has none in PyTorch: 0.1 here).</param>
/// <param name="WeightDecay">Its default weight decay.</param>
/// <param name="HasMomentum">Whether it takes a momentum setting.</param>
public sealed record ZooEntry(string Name, string Paper, string Defaults, double Lr, double WeightDecay, bool HasMomentum,
                              Func<IEnumerable<ParamGroup>, ZooSettings, Optimizer> Make)
{
    /// <summary>Builds the optimizer on groups; settings left null take this entry's defaults.</summary>
    public Optimizer Create(IEnumerable<ParamGroup> groups, ZooSettings? settings = null)
    {
        var s = settings ?? new ZooSettings();
        if (s.Momentum is not null && !HasMomentum)
            throw new ArgumentException($"optimizer '{Name}' has no momentum setting (those that do: {string.Join(", ", OptimizerZoo.All.Where(e => e.HasMomentum).Select(e => e.Name))})");
        if (s.Base is not null && !IsWrapper)
            throw new ArgumentException($"optimizer '{Name}' wraps no other optimizer; a base optimizer is for lookahead, sam and asam");
        // a wrapper passes the settings on as given, so its base optimizer's own defaults apply
        return Make(groups, IsWrapper ? s : s with { Lr = s.Lr ?? Lr, WeightDecay = s.WeightDecay ?? WeightDecay });
    }

    /// <summary>lookahead, sam and asam: they wrap a base optimizer (ZooSettings.Base).</summary>
    public bool IsWrapper => Name is "lookahead" or "sam" or "asam";

    public override string ToString() => Name;
}

/// <summary>
/// Every optimizer of the engine by name, for the command line and the gallery: <c>OptimizerZoo.Get("lion").Create(groups)</c>.
/// The names are pytorch_optimizer's, in lower case.
/// </summary>
public static class OptimizerZoo
{
    private static double Lr(ZooSettings s) => s.Lr!.Value;
    private static double Wd(ZooSettings s) => s.WeightDecay!.Value;

    private static void NoDecay(string name, ZooSettings s)
    {
        if (Wd(s) != 0) throw new ArgumentException($"optimizer '{name}' has no weight decay (got {Wd(s).ToString(CultureInfo.InvariantCulture)}); add an L2 term to the loss instead");
    }

    /// <summary>
    /// The base optimizer of a wrapper: s.Base (default: fallback) with the settings given (its own defaults for the rest;
    /// SGD under SAM takes momentum 0.9 unless told otherwise, as the paper trains).
    /// </summary>
    private static Optimizer Inner(IEnumerable<ParamGroup> groups, ZooSettings s, string fallback, double? sgdMomentum = null)
    {
        var entry = Get(s.Base ?? fallback);
        if (entry.IsWrapper || entry.Name == "lbfgs")
            throw new ArgumentException($"'{entry.Name}' cannot be the base optimizer of a wrapper; choose one of {string.Join(", ", All.Where(e => !e.IsWrapper && e.Name != "lbfgs").Select(e => e.Name))}");
        double? momentum = s.Momentum ?? (entry.Name == "sgd" ? sgdMomentum : null);
        return entry.Create(groups, new ZooSettings(s.Lr, s.WeightDecay, momentum));
    }

    public static IReadOnlyList<ZooEntry> All { get; } =
    [
        new("sgd", "Robbins and Monro, A Stochastic Approximation Method, Ann. Math. Stat. 1951 (momentum: Polyak 1964; Nesterov: Sutskever et al., ICML 2013)",
            "lr 0.1 (PyTorch has no default), momentum 0, dampening 0, nesterov off", 0.1, 0, true,
            (g, s) => new SGD(g, Lr(s), momentum: s.Momentum ?? 0, weightDecay: Wd(s))),
        new("adam", "Kingma and Ba, Adam: A Method for Stochastic Optimization, ICLR 2015", "lr 1e-3, betas (0.9, 0.999), eps 1e-8, L2 decay", 1e-3, 0, false,
            (g, s) => new Adam(g, Lr(s), weightDecay: Wd(s))),
        new("adamw", "Loshchilov and Hutter, Decoupled Weight Decay Regularization, ICLR 2019", "lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 (decoupled)", 1e-3, 1e-2, false,
            (g, s) => new AdamW(g, Lr(s), weightDecay: Wd(s))),
        new("rmsprop", "Hinton, Neural Networks for Machine Learning, lecture 6e, 2012", "lr 1e-2, alpha 0.99, eps 1e-8, momentum 0", 1e-2, 0, true,
            (g, s) => new RMSprop(g, Lr(s), weightDecay: Wd(s), momentum: s.Momentum ?? 0)),
        new("adabound", "Luo, Xiong, Liu and Sun, Adaptive Gradient Methods with Dynamic Bound of Learning Rate, ICLR 2019", "lr 1e-3, final lr 0.1, gamma 1e-3", 1e-3, 0, false,
            (g, s) => new AdaBound(g, Lr(s), weightDecay: Wd(s))),
        new("amsbound", "Luo, Xiong, Liu and Sun, Adaptive Gradient Methods with Dynamic Bound of Learning Rate, ICLR 2019", "as adabound, with AMSGrad's maximum", 1e-3, 0, false,
            (g, s) => new AMSBound(g, Lr(s), weightDecay: Wd(s))),
        new("radam", "Liu et al., On the Variance of the Adaptive Learning Rate and Beyond, ICLR 2020", "lr 1e-3, betas (0.9, 0.999), eps 1e-8, L2 decay", 1e-3, 0, false,
            (g, s) => new RAdam(g, Lr(s), weightDecay: Wd(s))),
        new("nadam", "Dozat, Incorporating Nesterov Momentum into Adam, ICLR 2016 workshop", "lr 2e-3, betas (0.9, 0.999), eps 1e-8, momentum decay 4e-3, L2 decay", 2e-3, 0, false,
            (g, s) => new NAdam(g, Lr(s), weightDecay: Wd(s))),
        new("adamax", "Kingma and Ba, Adam: A Method for Stochastic Optimization, ICLR 2015 (section 7.1)", "lr 2e-3, betas (0.9, 0.999), eps 1e-8, L2 decay", 2e-3, 0, false,
            (g, s) => new Adamax(g, Lr(s), weightDecay: Wd(s))),
        new("adagrad", "Duchi, Hazan and Singer, Adaptive Subgradient Methods for Online Learning and Stochastic Optimization, JMLR 2011", "lr 1e-2, lr decay 0, initial accumulator 0, eps 1e-10", 1e-2, 0, false,
            (g, s) => new Adagrad(g, Lr(s), weightDecay: Wd(s))),
        new("adadelta", "Zeiler, ADADELTA: An Adaptive Learning Rate Method, arXiv 2012", "lr 1.0, rho 0.9, eps 1e-6", 1.0, 0, false,
            (g, s) => new Adadelta(g, Lr(s), weightDecay: Wd(s))),
        new("rprop", "Riedmiller and Braun, A Direct Adaptive Method for Faster Backpropagation Learning: The RPROP Algorithm, ICNN 1993", "lr 1e-2, etas (0.5, 1.2), step sizes (1e-6, 50); full batch", 1e-2, 0, false,
            (g, s) => { NoDecay("rprop", s); return new Rprop(g, Lr(s)); }),
        new("asgd", "Polyak and Juditsky, Acceleration of Stochastic Approximation by Averaging, SIAM J. Control Optim. 1992", "lr 1e-2, lambd 1e-4, alpha 0.75, t0 1e6", 1e-2, 0, false,
            (g, s) => new ASGD(g, Lr(s), weightDecay: Wd(s))),
        new("lbfgs", "Liu and Nocedal, On the Limited Memory BFGS Method for Large Scale Optimization, Math. Programming 1989", "lr 1, max iter 20, history 100, strong-Wolfe line search here (PyTorch: none); closure", 1.0, 0, false,
            (g, s) => { NoDecay("lbfgs", s); return new LBFGS(g.SelectMany(x => x.Params), Lr(s), lineSearchFn: "strong_wolfe"); }),
        new("lion", "Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023", "lr 1e-4, betas (0.9, 0.99), decoupled weight decay", 1e-4, 0, false,
            (g, s) => new Lion(g, Lr(s), weightDecay: Wd(s))),
        new("lamb", "You et al., Large Batch Optimization for Deep Learning: Training BERT in 76 minutes, ICLR 2020", "lr 1e-3, betas (0.9, 0.999), eps 1e-6, trust ratio min(|w|, 10) / |r|", 1e-3, 0, false,
            (g, s) => new LAMB(g, Lr(s), weightDecay: Wd(s))),
        new("lars", "You, Gitman and Ginsburg, Large Batch Training of Convolutional Networks, arXiv 2017", "lr 1e-3 (pytorch_optimizer's; with trust coefficient 1e-3 the layer rate is tiny: lr 1-10 is the usual range), momentum 0.9, L2 decay on matrices", 1e-3, 0, true,
            (g, s) => new LARS(g, Lr(s), momentum: s.Momentum ?? 0.9, weightDecay: Wd(s))),
        new("adabelief", "Zhuang et al., AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients, NeurIPS 2020", "lr 1e-3, betas (0.9, 0.999), eps 1e-16, decoupled decay", 1e-3, 0, false,
            (g, s) => new AdaBelief(g, Lr(s), weightDecay: Wd(s))),
        new("adan", "Xie et al., Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep Models, TPAMI 2024", "lr 1e-3, betas (0.98, 0.92, 0.99), eps 1e-8, proximal decay", 1e-3, 0, false,
            (g, s) => new Adan(g, Lr(s), weightDecay: Wd(s))),
        new("lookahead", "Zhang, Lucas, Hinton and Ba, Lookahead Optimizer: k steps forward, 1 step back, NeurIPS 2019", "k 5, alpha 0.5, around --base (default adamw, with its defaults)", 1e-3, 1e-2, true,
            (g, s) => new Lookahead(Inner(g, s, "adamw"))),
        new("ranger", "Wright, Ranger: a synergistic combination of RAdam and LookAhead, 2019", "lr 1e-3, betas (0.95, 0.999), eps 1e-5, k 6, alpha 0.5", 1e-3, 0, false,
            (g, s) => new Ranger(g, Lr(s), weightDecay: Wd(s))),
        new("sam", "Foret, Kleiner, Mobahi and Neyshabur, Sharpness-Aware Minimization for Efficiently Improving Generalization, ICLR 2021", "rho 0.05, around --base (default sgd: lr 0.1, momentum 0.9); closure", 0.1, 0, true,
            (g, s) => new SAM(Inner(g, s, "sgd", sgdMomentum: 0.9))),
        new("asam", "Kwon, Kim, Park and Choi, ASAM: Adaptive Sharpness-Aware Minimization for Scale-Invariant Learning of Deep Neural Networks, ICML 2021", "rho 0.5, eta 0.01, around --base (default sgd: lr 0.1, momentum 0.9); closure", 0.1, 0, true,
            (g, s) => new ASAM(Inner(g, s, "sgd", sgdMomentum: 0.9))),
        new("prodigy", "Mishchenko and Defazio, Prodigy: An Expeditiously Adaptive Parameter-Free Learner, ICML 2024", "lr 1 (a multiplier of the estimated d), betas (0.9, 0.999), d0 1e-6, decoupled decay", 1.0, 0, false,
            (g, s) => new Prodigy(g, Lr(s), weightDecay: Wd(s))),
        new("schedulefree-adamw", "Defazio et al., The Road Less Scheduled, NeurIPS 2024", "lr 0.0025, betas (0.9, 0.999), eps 1e-8, warmup 0; train/eval swap", 0.0025, 0, false,
            (g, s) => new ScheduleFreeAdamW(g, Lr(s), weightDecay: Wd(s))),
        new("schedulefree-sgd", "Defazio et al., The Road Less Scheduled, NeurIPS 2024", "lr 1.0, momentum 0.9, warmup 0; train/eval swap", 1.0, 0, true,
            (g, s) => new ScheduleFreeSGD(g, Lr(s), momentum: s.Momentum ?? 0.9, weightDecay: Wd(s))),
        new("sophia", "Liu, Li, Hall, Liang and Ma, Sophia: A Scalable Stochastic Second-order Optimizer for Language Model Pre-training, ICLR 2024", "lr 1e-4, betas (0.965, 0.99), rho 0.04, batch 5120, Hessian every 10 steps, weight decay 0.1; sampled-label closure", 1e-4, 0.1, false,
            (g, s) => new Sophia(g, Lr(s), weightDecay: Wd(s))),
        new("soap", "Vyas et al., SOAP: Improving and Stabilizing Shampoo using Adam, ICLR 2025", "lr 3e-3, betas (0.95, 0.95), eps 1e-8, weight decay 0.01, preconditioners refreshed every 10 steps", 3e-3, 1e-2, false,
            (g, s) => new SOAP(g, Lr(s), weightDecay: Wd(s))),
        new("muon", "Jordan et al., Muon: An optimizer for hidden layers in neural networks, 2024", "lr 0.02, momentum 0.95, Nesterov, 5 Newton-Schulz steps; AdamW (lr 3e-4, betas (0.9, 0.95)) for vectors", 0.02, 0, true,
            (g, s) => new Muon(g, Lr(s), momentum: s.Momentum ?? 0.95, weightDecay: Wd(s))),
    ];

    /// <summary>The names, in <see cref="All"/>'s order.</summary>
    public static IEnumerable<string> Names => All.Select(e => e.Name);

    /// <summary>The entry called name (case-insensitive); an unknown name is an error that lists them all.</summary>
    public static ZooEntry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown optimizer '{name}'; choose one of {string.Join(", ", Names)}");
    }
}
