// Load client for parleyd's UCWA API (bench/ucwa.sh runs it). Five modes:
//   parked  --apps N [--users U]      N applications, each with one parked P-GET on its own TLS
//                                     connection; prints the server's RSS per parked application.
//   fanout  --subscribers N           N watchers subscribed to one publisher's presence; times
//                                     how long a presence change takes to reach them all.
//   me      --connections C --seconds S   GET {app}/me throughput and latency, next to the
//                                     unauthenticated discovery root on the same listener.
//   im      --pairs N --seconds S [--rate R]   instant messages between N sender/receiver pairs:
//                                     delivered msgs/s, send acknowledgement and delivery latency.
//   history --conversations K         GET conversationLogs (first page) with K conversations.
// The shared pieces are in ucwa_load.hpp, the IM modes in ucwa_load_im.cpp.
// One thread, one io_context, coroutines. Every phase is bounded, and --deadline ends the run.

#include "ucwa_load.hpp"

namespace ucwa_load {
namespace {

awaitable<void> run_parked(Env& env) {
  const auto& o = env.opt;
  const std::size_t n = o.apps;
  const std::size_t users = o.users ? o.users : (n + 999) / 1000;
  const long base = rss_kib(env.server_pid);
  const long client_base = rss_kib(static_cast<int>(::getpid()));
  std::vector<std::string> sips;
  for (std::size_t u = 0; u < users; ++u) sips.push_back(user_sip(o, u));
  const auto tokens = co_await sign_in_all(env, sips);

  g_phase = "creating applications";
  std::vector<App> apps(n);
  const auto t_create = Clock::now();
  auto create_one = [&](std::size_t i, std::unique_ptr<Conn>& conn) -> awaitable<void> {
    apps[i] = co_await create_app(env, conn, tokens[i % users], i);
  };
  co_await parallel_for(env, n, 8, create_one);
  const double create_s = ms_since(t_create) / 1000;
  co_await sleep_for(env, 2s);
  const long after_apps = rss_kib(env.server_pid);
  std::printf("parked: %zu applications of %zu users created in %.1f s (%.0f/s); server RSS %ld -> %ld KiB\n", n,
              users, create_s, static_cast<double>(n) / create_s, base, after_apps);
  std::fflush(stdout);

  g_phase = "parking P-GETs";
  ParkStats st;
  const auto t_park = Clock::now();
  auto conns = co_await park_all(env, apps, st, {});
  co_await settle(env, st, n, 2s, 60s);
  const double park_s = ms_since(t_park) / 1000;
  co_await sleep_for(env, 3s);
  const long after_park = rss_kib(env.server_pid);
  const long client_after = rss_kib(static_cast<int>(::getpid()));
  std::printf("parked: %zu P-GETs parked in %.1f s (%.0f connections/s); %zu answered early and re-issued, "
              "%zu failed%s%s\n",
              st.written, park_s, static_cast<double>(n) / park_s, st.answered, st.failed,
              st.first_error.empty() ? "" : "; first: ", st.first_error.c_str());
  std::printf("parked: server RSS baseline %ld KiB, after applications %ld KiB, after parking %ld KiB\n", base,
              after_apps, after_park);
  // The same Asio + OpenSSL stack on the client side, for comparison with the server's figure.
  std::printf("parked: load client RSS %ld -> %ld KiB (%.1f KiB per connection, app records included)\n",
              client_base, client_after, static_cast<double>(client_after - client_base) / static_cast<double>(n));
  const double per_app = static_cast<double>(after_park - base) / static_cast<double>(n);
  const double app_state = static_cast<double>(after_apps - base) / static_cast<double>(n);
  const double per_conn = static_cast<double>(after_park - after_apps) / static_cast<double>(n);
  std::printf("parked: %zu applications, RSS +%.1f MiB, %.1f KiB per parked application (%.1f KiB app state, "
              "%.1f KiB connection)\n",
              n, static_cast<double>(after_park - base) / 1024.0, per_app, app_state, per_conn);
  if (st.failed > 0 || st.written != n) {
    std::printf("parked: WARNING only %zu of %zu P-GETs are parked\n", st.written, n);
    finish(1);
  }
  finish(0);
}

// ---------------------------------------------------------------------------------------------
// fanout

awaitable<void> run_fanout(Env& env) {
  const auto& o = env.opt;
  const std::size_t n = o.subscribers;
  const std::size_t users = o.self_watch ? 0 : (n + 999) / 1000;
  if (o.self_watch && n > 999) fail("--self-watch allows at most 999 watchers (one user)");
  const std::string publisher = o.publisher + "@" + o.domain;
  std::vector<std::string> sips{publisher};
  for (std::size_t u = 0; u < users; ++u) sips.push_back(user_sip(o, u));
  const auto tokens = co_await sign_in_all(env, sips);

  g_phase = "publisher application";
  std::unique_ptr<Conn> pub_conn;
  App pub = co_await create_app(env, pub_conn, tokens[0], 1'000'000);
  {
    const std::string path = pub.self + "/me/makeMeAvailable";
    auto req = make_request(http::verb::post, path, pub.token, "{}");
    auto res = co_await call(env, pub_conn, req);
    if (res.result_int() / 100 != 2) fail("makeMeAvailable of the publisher: " + describe(res));
  }

  g_phase = "watchers subscribe";
  std::vector<App> apps(n);
  json::object sub{{"duration", 30}, {"uris", json::array{"sip:" + publisher}}};
  const std::string sub_body = json::serialize(sub);
  const auto t_sub = Clock::now();
  auto create_one = [&](std::size_t i, std::unique_ptr<Conn>& conn) -> awaitable<void> {
    apps[i] = co_await create_app(env, conn, tokens[o.self_watch ? 0 : 1 + i % users], i);
    const std::string path =
        apps[i].self + (o.self_watch ? "/me/makeMeAvailable" : "/people/presenceSubscriptions");
    auto req = make_request(http::verb::post, path, apps[i].token, o.self_watch ? std::string("{}") : sub_body);
    auto res = co_await call(env, conn, req);
    if (res.result_int() / 100 != 2) fail("presence subscription " + std::to_string(i) + ": " + describe(res));
  };
  co_await parallel_for(env, n, 8, create_one);
  std::printf("fanout N=%zu: %zu watcher applications created and subscribed in %.1f s\n", n, n,
              ms_since(t_sub) / 1000);

  // Per round: when the change was sent, and which watchers have seen it.
  int round = -1;
  std::vector<Clock::time_point> sent(static_cast<std::size_t>(o.rounds));
  std::vector<int> seen(n, -1);
  std::vector<std::size_t> got(static_cast<std::size_t>(o.rounds), 0);
  std::vector<double> all, last;
  std::vector<double> round_max(static_cast<std::size_t>(o.rounds), 0);
  std::size_t other_packages = 0;
  auto on_package = [&](std::size_t i, const json::value& v) {
    const auto now = Clock::now();
    if (round < 0 || !has_update(v, o.self_watch ? "presence" : "contactPresence") || seen[i] >= round) {
      ++other_packages;
      return;
    }
    seen[i] = round;
    const auto r = static_cast<std::size_t>(round);
    ++got[r];
    const double ms = ms_since(sent[r], now);
    all.push_back(ms);
    round_max[r] = std::max(round_max[r], ms);
  };

  g_phase = "watchers park";
  ParkStats st;
  auto conns = co_await park_all(env, apps, st, on_package);
  co_await settle(env, st, n, 1s, 60s);
  if (st.written != n) fail("only " + std::to_string(st.written) + " of " + std::to_string(n) +
                            " watchers parked; " + st.first_error);
  const std::size_t before = other_packages;

  g_phase = "presence changes";
  std::size_t lost = 0;
  for (int r = 0; r < o.rounds; ++r) {
    const auto ru = static_cast<std::size_t>(r);
    const std::string availability = r % 2 == 0 ? "Busy" : "Online";
    const std::string path = pub.self + "/me/presence";
    json::object body{{"availability", availability}};
    auto req = make_request(http::verb::post, path, pub.token, json::serialize(body));
    round = r;
    sent[ru] = Clock::now();
    auto res = co_await call(env, pub_conn, req);
    if (res.result_int() / 100 != 2) fail("presence change " + availability + ": " + describe(res));
    const auto until = Clock::now() + 60s;
    while (got[ru] < n && Clock::now() < until) co_await sleep_for(env, 1ms);
    if (got[ru] < n) {
      std::printf("fanout N=%zu: change %d (%s) reached only %zu of %zu watchers within 60 s\n", n, r + 1,
                  availability.c_str(), got[ru], n);
      lost += n - got[ru];
    }
    last.push_back(round_max[ru]);
    // Let every watcher re-park before the next change.
    co_await settle(env, st, n, 300ms, 30s);
  }
  const char* label = o.self_watch ? "fanout (own applications)" : "fanout";
  std::printf("%s N=%zu: last subscriber per change (ms):", label, n);
  for (double v : last) std::printf(" %.1f", v);
  std::printf("\n");
  std::printf("%s N=%zu: last subscriber p50 %.1f ms p99 %.1f ms max %.1f ms; all deliveries p50 %.1f ms "
              "p99 %.1f ms max %.1f ms (%d changes, %zu deliveries, %zu missing, %zu other packages, "
              "%zu P-GET errors%s%s)\n",
              label, n, percentile(last, 50), percentile(last, 99), percentile(last, 100), percentile(all, 50),
              percentile(all, 99), percentile(all, 100), o.rounds, all.size(), lost, other_packages - before,
              st.failed, st.first_error.empty() ? "" : "; first: ", st.first_error.c_str());
  finish(lost == 0 && st.failed == 0 ? 0 : 1);
}

// ---------------------------------------------------------------------------------------------
// me

struct LoadResult {
  std::vector<double> latencies;
  std::size_t errors = 0;
  std::string first_error;
  double seconds = 0;
};

awaitable<LoadResult> closed_loop(Env& env, const std::vector<std::string>& paths,
                                  const std::vector<std::string>& tokens) {
  LoadResult out;
  const std::size_t c = env.opt.connections;
  std::vector<std::unique_ptr<Conn>> conns(c);
  auto open_one = [&](std::size_t i, std::unique_ptr<Conn>&) -> awaitable<void> {
    conns[i] = std::make_unique<Conn>(env);
    co_await conns[i]->open(env.target, false);
  };
  co_await parallel_for(env, c, c, open_one);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(env.opt.seconds));
  auto loop = [&](std::size_t i, std::unique_ptr<Conn>&) -> awaitable<void> {
    auto req = make_request(http::verb::get, paths[i % paths.size()], tokens[i % tokens.size()]);
    while (Clock::now() < end) {
      const auto t0 = Clock::now();
      auto res = co_await call(env, conns[i], req);
      out.latencies.push_back(ms_since(t0));
      if (res.result_int() != 200) {
        ++out.errors;
        if (out.first_error.empty()) out.first_error = describe(res);
      }
    }
  };
  co_await parallel_for(env, c, c, loop);
  out.seconds = ms_since(start) / 1000;
  co_return out;
}

void print_load(const char* label, const Options& o, const LoadResult& r) {
  std::printf("%s C=%zu %.0fs: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms (%zu requests, %zu errors%s%s)\n",
              label, o.connections, o.seconds, static_cast<double>(r.latencies.size()) / r.seconds,
              percentile(r.latencies, 50), percentile(r.latencies, 99), percentile(r.latencies, 100),
              r.latencies.size(), r.errors, r.first_error.empty() ? "" : "; first: ", r.first_error.c_str());
}

awaitable<void> run_me(Env& env) {
  const auto& o = env.opt;
  const std::size_t napps = std::max<std::size_t>(1, o.connections / 4);
  const std::vector<std::string> sips{user_sip(o, 0)};
  const auto tokens = co_await sign_in_all(env, sips);
  g_phase = "creating applications";
  std::vector<std::string> paths(napps);
  auto create_one = [&](std::size_t i, std::unique_ptr<Conn>& conn) -> awaitable<void> {
    const auto app = co_await create_app(env, conn, tokens[0], i);
    paths[i] = app.self + "/me";
  };
  co_await parallel_for(env, napps, 4, create_one);

  g_phase = "GET me";
  const auto me = co_await closed_loop(env, paths, tokens);
  print_load("GET {app}/me (bearer token, application lookup)", o, me);
  std::fflush(stdout);
  g_phase = "GET discovery root";
  const std::vector<std::string> root{o.baseline_path};
  const std::vector<std::string> no_token{std::string()};
  const auto base = co_await closed_loop(env, root, no_token);
  print_load("GET discovery root (unauthenticated, same listener)", o, base);
  finish(me.errors == 0 && base.errors == 0 ? 0 : 1);
}

// ---------------------------------------------------------------------------------------------

void usage() {
  std::fprintf(stderr,
               "usage: ucwa_load MODE --data-dir DIR [options]\n"
               "  parked --apps N [--users U]\n"
               "  fanout --subscribers N [--rounds R] [--self-watch 1]\n"
               "  me --connections C --seconds S\n"
               "  im --pairs N --seconds S [--rate MSGS_PER_S] [--warmup 2]\n"
               "  history --conversations K [--requests 2000]\n"
               "options: --pid PID --password P --user-prefix u --domain D --publisher alice\n"
               "         --concurrency K (connections set up at once) --deadline SECONDS (600)\n");
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  if (argc < 2) usage();
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage();
    const std::string v = argv[++i];
    auto num = [&] { return static_cast<std::size_t>(std::stoull(v)); };
    if (a == "--data-dir") o.data_dir = v;
    else if (a == "--pid") o.pid = std::stoi(v);
    else if (a == "--apps") o.apps = num();
    else if (a == "--users") o.users = num();
    else if (a == "--subscribers") o.subscribers = num();
    else if (a == "--connections") o.connections = num();
    else if (a == "--seconds") o.seconds = std::stod(v);
    else if (a == "--deadline") o.deadline = std::stoi(v);
    else if (a == "--rounds") o.rounds = std::stoi(v);
    else if (a == "--password") o.password = v;
    else if (a == "--user-prefix") o.user_prefix = v;
    else if (a == "--domain") o.domain = v;
    else if (a == "--publisher") o.publisher = v;
    else if (a == "--concurrency") o.concurrency = num();
    else if (a == "--self-watch") o.self_watch = v == "1" || v == "true";
    else if (a == "--pairs") o.pairs = num();
    else if (a == "--rate") o.rate = std::stod(v);
    else if (a == "--warmup") o.warmup = std::stod(v);
    else if (a == "--conversations") o.conversations = num();
    else if (a == "--requests") o.requests = num();
    else usage();
  }
  if (o.data_dir.empty() || (o.mode != "parked" && o.mode != "fanout" && o.mode != "me" && o.mode != "im" &&
                             o.mode != "history"))
    usage();
  if (o.pairs == 0 || o.conversations == 0 || o.requests == 0 || o.rate < 0) usage();
  if (o.apps == 0 || o.subscribers == 0 || o.connections == 0 || o.rounds <= 0 || o.deadline <= 0) usage();
  return o;
}

}  // namespace
}  // namespace ucwa_load

int main(int argc, char** argv) {
  using namespace ucwa_load;
  Env env;
  env.opt = parse_args(argc, argv);
  const auto endpoints = parse_or_null(read_text(env.opt.data_dir + "/parleyd.endpoints.json"));
  std::string url;
  try {
    url = std::string(endpoints.at("external").at("https").as_string());
    env.server_pid = env.opt.pid ? env.opt.pid : endpoints.at("pid").to_number<int>();
  } catch (const std::exception&) {
    fail("parleyd.endpoints.json lacks external.https or pid");
  }
  // "https://127.0.0.1:PORT": loopback only.
  const auto host_start = url.find("://") + 3;
  const auto colon = url.rfind(':');
  const auto host = url.substr(host_start, colon - host_start);
  const auto addr = asio::ip::make_address(host);
  if (!addr.is_loopback()) fail("the external listener " + url + " is not on loopback");
  env.target.endpoint = {addr, static_cast<unsigned short>(std::stoi(url.substr(colon + 1)))};
  const std::size_t conns = env.opt.mode == "parked" ? env.opt.apps : env.opt.subscribers;
  const std::size_t sources = conns / 20000 + 1;
  for (std::size_t i = 0; i < sources; ++i)
    env.target.sources.push_back(asio::ip::make_address_v4(static_cast<asio::ip::address_v4::uint_type>(0x7f000001 + i)));

  env.tls.load_verify_file(env.opt.data_dir + "/pki/ca.pem");
  env.tls.set_verify_mode(ssl::verify_peer);
  // Idle parked connections should not each pin OpenSSL's read and write buffers. The busy
  // connections of the other modes would pay for it on every record.
  if (env.opt.mode == "parked" || env.opt.mode == "fanout")
    SSL_CTX_set_mode(env.tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);

  asio::steady_timer deadline(env.io, std::chrono::seconds(env.opt.deadline));
  deadline.async_wait([&](boost::system::error_code ec) {
    if (!ec) fail("deadline of " + std::to_string(env.opt.deadline) + " s reached; aborting");
  });

  asio::co_spawn(env.io, sweep_late(env), asio::detached);

  auto body = [&]() -> awaitable<void> {
    if (env.opt.mode == "parked") co_await run_parked(env);
    else if (env.opt.mode == "fanout") co_await run_fanout(env);
    else if (env.opt.mode == "im") co_await run_im(env);
    else if (env.opt.mode == "history") co_await run_history(env);
    else co_await run_me(env);
  };
  asio::co_spawn(env.io, body, [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      fail(ex.what());
    }
  });
  env.io.run();
  finish(0);
}
