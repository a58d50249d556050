using System.Text.Json;

namespace Engine.Tests.Optim;

/// <summary>
/// The optimizer zoo's fixtures (fixtures/optim/zoo.json, made by zoo.py): the problem of generate.py, the case
/// list, and a factory that builds each case's optimizer from its options (PyTorch names).
/// </summary>
internal static class ZooFixtures
{
    public static readonly JsonElement Root = OptimFixtures.Load("zoo.json");

    public static IEnumerable<object[]> CaseNames(string source) =>
        Root.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("source").GetString() == source)
            .Select(c => new object[] { c.GetProperty("name").GetString()! });

    public static JsonElement Case(string name) => OptimFixtures.Case(Root, name);

    /// <summary>W [3,4], b [3] and the two losses: against Y (the loss) and against YS (standing in for sampled labels).</summary>
    internal sealed class Problem
    {
        public readonly Tensor W, B;
        private readonly Tensor _x, _y, _ys;

        public Problem(Device? device = null)
        {
            var d = device ?? Device.Cpu;
            W = Tensor.FromArray(Root.GetProperty("W0").Floats(), [3, 4], d).RequiresGrad_().Keep();
            B = Tensor.FromArray(Root.GetProperty("B0").Floats(), [3], d).RequiresGrad_().Keep();
            _x = Tensor.FromArray(Root.GetProperty("X").Floats(), [5, 4], d).Keep();
            _y = Tensor.FromArray(Root.GetProperty("Y").Floats(), [5, 3], d).Keep();
            _ys = Tensor.FromArray(Root.GetProperty("YS").Floats(), [5, 3], d).Keep();
        }

        public float LossAndGrad() => Loss(_y);
        public float SampledLossAndGrad() => Loss(_ys);

        private float Loss(Tensor target)
        {
            using var _ = Tensor.Scope();
            var loss = ((_x.Matmul(W.Transpose(0, 1)) + B).Tanh() - target).Square().Mean();
            loss.Backward();
            return loss.Item();
        }

        /// <summary>One training step as zoo.py takes it: backward, then the step with the closure the optimizer asks for.</summary>
        public float Step(Optimizer opt)
        {
            opt.ZeroGrad();
            float loss = LossAndGrad();
            switch (opt.ClosureKind)
            {
                case ClosureKind.None: opt.Step(); break;
                case ClosureKind.Loss: opt.Step(LossAndGrad); break;
                case ClosureKind.SampledLoss: opt.Step(SampledLossAndGrad); break;
            }
            return loss;
        }
    }

    public static Dictionary<string, double> Options(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object ? e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()) : new();

    public static Optimizer Build(JsonElement c, Problem pb)
    {
        var o = Options(c.GetProperty("options"));
        IEnumerable<ParamGroup> groups = [new ParamGroup([pb.W, pb.B])];
        if (c.GetProperty("groups").ValueKind == JsonValueKind.Array)
        {
            var gs = c.GetProperty("groups").EnumerateArray().Select(Options).ToArray();
            var g0 = new ParamGroup([pb.W]);
            foreach (var (k, v) in gs[0]) g0[k] = v;
            var g1 = new ParamGroup([pb.B]);
            foreach (var (k, v) in gs[1]) g1[k] = v;
            groups = [g0, g1];
        }
        return Make(c.GetProperty("optimizer").GetString()!, o, groups, [pb.W, pb.B]);
    }

    /// <summary>The optimizer called kind ("Lookahead:SGD" wraps one) with options by PyTorch name, defaults elsewhere.</summary>
    public static Optimizer Make(string kind, IReadOnlyDictionary<string, double> o, IEnumerable<ParamGroup> groups, IEnumerable<Tensor> ps)
    {
        double Get(string k, double d) => o.TryGetValue(k, out var v) ? v : d;
        bool Flag(string k, bool d) => o.TryGetValue(k, out var v) ? v != 0 : d;
        int Int(string k, int d) => (int)Get(k, d);
        var colon = kind.IndexOf(':');
        if (colon > 0)
        {
            var inner = Make(kind[(colon + 1)..], o, groups, ps);
            return kind[..colon] switch
            {
                "Lookahead" => new Lookahead(inner, Int("k", 5), Get("alpha", 0.5)),
                "SAM" => new SAM(inner, Get("rho", 0.05)),
                "ASAM" => new ASAM(inner, Get("rho", 0.5), Get("eta", 0.01)),
                _ => throw new ArgumentException(kind),
            };
        }
        return kind switch
        {
            "SGD" => new SGD(groups, o["lr"], Get("momentum", 0), Get("dampening", 0), Get("weight_decay", 0), Flag("nesterov", false)),
            "Adam" => new Adam(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8), Get("weight_decay", 0)),
            "RAdam" => new RAdam(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8), Get("weight_decay", 0)),
            "NAdam" => new NAdam(groups, Get("lr", 2e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8), Get("weight_decay", 0), Get("momentum_decay", 4e-3)),
            "Adamax" => new Adamax(groups, Get("lr", 2e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8), Get("weight_decay", 0)),
            "Adagrad" => new Adagrad(groups, Get("lr", 1e-2), Get("lr_decay", 0), Get("weight_decay", 0), Get("initial_accumulator_value", 0), Get("eps", 1e-10)),
            "Adadelta" => new Adadelta(groups, Get("lr", 1), Get("rho", 0.9), Get("eps", 1e-6), Get("weight_decay", 0)),
            "Rprop" => new Rprop(groups, Get("lr", 1e-2), Get("eta_minus", 0.5), Get("eta_plus", 1.2), Get("step_size_min", 1e-6), Get("step_size_max", 50)),
            "ASGD" => new ASGD(groups, Get("lr", 1e-2), Get("lambd", 1e-4), Get("alpha", 0.75), Get("t0", 1e6), Get("weight_decay", 0)),
            "LBFGS" => new LBFGS(ps, Get("lr", 1), Int("max_iter", 20), o.ContainsKey("max_eval") ? Int("max_eval", 0) : null, Get("tolerance_grad", 1e-7),
                                 Get("tolerance_change", 1e-9), Int("history_size", 100), Flag("strong_wolfe", false) ? "strong_wolfe" : null),
            "Lion" => new Lion(groups, Get("lr", 1e-4), Get("beta1", 0.9), Get("beta2", 0.99), Get("weight_decay", 0)),
            "LAMB" => new LAMB(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-6), Get("weight_decay", 0)),
            "LARS" => new LARS(groups, Get("lr", 1e-3), Get("momentum", 0.9), Get("dampening", 0), Get("weight_decay", 0), Get("trust_coefficient", 1e-3), Flag("nesterov", false)),
            "AdaBelief" => new AdaBelief(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-16), Get("weight_decay", 0), Flag("weight_decouple", true)),
            "Adan" => new Adan(groups, Get("lr", 1e-3), Get("beta1", 0.98), Get("beta2", 0.92), Get("beta3", 0.99), Get("eps", 1e-8), Get("weight_decay", 0), Flag("no_prox", false)),
            "Ranger" => new Ranger(groups, Get("lr", 1e-3), Get("beta1", 0.95), Get("beta2", 0.999), Get("eps", 1e-5), Get("weight_decay", 0), Int("k", 6), Get("alpha", 0.5)),
            "Prodigy" => new Prodigy(groups, Get("lr", 1), Get("beta1", 0.9), Get("beta2", 0.999), o.TryGetValue("beta3", out var b3) ? b3 : null, Get("eps", 1e-8),
                                     Get("weight_decay", 0), Flag("decouple", true), Flag("use_bias_correction", false), Flag("safeguard_warmup", false),
                                     Get("d0", 1e-6), Get("d_coef", 1)),
            "ScheduleFreeAdamW" => new ScheduleFreeAdamW(groups, Get("lr", 0.0025), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8), Get("weight_decay", 0),
                                                         Int("warmup_steps", 0), Get("r", 0), Get("weight_lr_power", 2)),
            "ScheduleFreeSGD" => new ScheduleFreeSGD(groups, Get("lr", 1), Get("momentum", 0.9), Get("weight_decay", 0), Int("warmup_steps", 0), Get("r", 0), Get("weight_lr_power", 2)),
            "Sophia" => new Sophia(groups, Get("lr", 1e-4), Get("beta1", 0.965), Get("beta2", 0.99), Get("rho", 0.04), Get("weight_decay", 0.1), Int("batch_size", 5120), Int("hessian_interval", 10)),
            "SOAP" => new SOAP(groups, Get("lr", 3e-3), Get("beta1", 0.95), Get("beta2", 0.95), Get("shampoo_beta", -1), Get("eps", 1e-8), Get("weight_decay", 0.01),
                               Int("precondition_frequency", 10), Int("max_precond_dim", 10000)),
            "Muon" => new Muon(groups, Get("lr", 0.02), Get("momentum", 0.95), Flag("nesterov", true), Int("ns_steps", 5), Get("weight_decay", 0),
                               Get("adam_lr", 3e-4), Get("adam_beta1", 0.9), Get("adam_beta2", 0.95), Get("adam_eps", 1e-10)),
            _ => throw new ArgumentException($"no optimizer '{kind}' in the zoo factory"),
        };
    }
}
