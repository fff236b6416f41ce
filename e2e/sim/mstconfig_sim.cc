#include "e2e/sim/mstconfig_sim.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace sim {
namespace {

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string DeviceHeader(const FirmwareDeviceState& dev, int number) {
  std::string out = "\nDevice #" + std::to_string(number) + ":\n----------\n\n";
  out += Pad("Device type:", 16) + dev.device_type + "\n";
  out += Pad("Name:", 16) + dev.part_name + "\n";
  out += Pad("Description:", 16) + dev.description + "\n";
  out += Pad("Device:", 16) + dev.bdf + "\n\n";
  return out;
}

std::string Row(bool marked, const std::string& name, const std::vector<std::string>& values) {
  std::string out = Pad(marked ? "*" : "", 9) + Pad(name, 36);
  for (size_t i = 0; i < values.size(); ++i) out += i + 1 == values.size() ? values[i] : Pad(values[i], 16);
  return out + "\n";
}

}  // namespace

std::string FormatMstconfigQuery(const FirmwareDeviceState& dev, int device_number,
                                 const std::vector<std::string>& only_params) {
  std::string out = DeviceHeader(dev, device_number);
  out += Pad("Configurations:", 45) + Pad("Default", 16) + Pad("Current", 16) + "Next Boot\n";
  for (const auto& p : dev.params) {
    if (!only_params.empty() && std::find(only_params.begin(), only_params.end(), p.name) == only_params.end())
      continue;
    bool marked = p.next_boot != p.default_value || p.next_boot != p.current;
    out += Row(marked, p.name, {p.default_value, p.current, p.next_boot});
  }
  out += "The '*' shows parameters with next value different from default/current value.\n";
  return out;
}

int RunMstconfigSim(std::vector<std::string> args, const std::string& state_dir_from_env, std::istream& in,
                    std::string* out, std::string* err) {
  std::string state_dir = state_dir_from_env;
  if (args.size() >= 2 && args[0] == "--sim-state") {
    state_dir = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (state_dir.empty()) {
    *err += "-E- mstconfig-sim: no state directory (set MSTCONFIG_SIM_STATE or pass --sim-state DIR first)\n";
    return 1;
  }
  std::string device;
  bool yes = false;
  std::string command;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!command.empty()) {
      rest.push_back(a);
    } else if ((a == "-d" || a == "--dev") && i + 1 < args.size()) {
      device = args[++i];
    } else if (a == "-y" || a == "--yes") {
      yes = true;
    } else if (a == "-e" || a == "--enable_verbosity") {
      // Default/Current/Next Boot are always shown, as mstflint 4.x does.
    } else if (a == "-h" || a == "--help") {
      *out += "Usage: mstconfig [-d <device>] [-y] [-e] <q|query|s|set> [PARAM[=VALUE]...] (simulator)\n";
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      *err += "-E- Unrecognized option: " + a + "\n";
      return 1;
    } else {
      command = a;
    }
  }
  FirmwareStore store(state_dir);
  const std::string bdf = FirmwareStore::CanonicalBdf(device);

  if (command == "q" || command == "query") {
    std::vector<std::string> bdfs = bdf.empty() ? store.Devices() : std::vector<std::string>{bdf};
    if (bdfs.empty()) {
      *err += "-E- No devices found.\n";
      return 1;
    }
    int number = 1;
    for (const auto& b : bdfs) {
      auto dev = store.Load(b);
      if (!dev.ok()) {
        *err += "-E- Failed to open device: " + device + "\n";
        return 1;
      }
      for (const auto& p : rest) {
        if (dev->Find(p) == nullptr) {
          *err += "-E- The Device doesn't support " + p + " parameter\n";
          return 1;
        }
      }
      *out += FormatMstconfigQuery(*dev, number++, rest);
    }
    return 0;
  }

  if (command == "s" || command == "set") {
    if (bdf.empty()) {
      *err += "-E- Please specify a device with -d for set.\n";
      return 1;
    }
    if (rest.empty()) {
      *err += "-E- No parameters to set were given.\n";
      return 1;
    }
    auto dev = store.Load(bdf);
    if (!dev.ok()) {
      *err += "-E- Failed to open device: " + device + "\n";
      return 1;
    }
    std::vector<std::pair<std::string, std::string>> changes;
    for (const auto& kv : rest) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        *err += "-E- Bad parameter format: \"" + kv + "\" (expected PARAM=VALUE)\n";
        return 1;
      }
      const std::string name = kv.substr(0, eq);
      if (dev->Find(name) == nullptr) {
        *err += "-E- The Device doesn't support " + name + " parameter\n";
        return 1;
      }
      changes.emplace_back(name, kv.substr(eq + 1));
    }
    *out += DeviceHeader(*dev, 1);
    *out += Pad("Configurations:", 45) + Pad("Next Boot", 16) + "New\n";
    std::vector<std::pair<std::string, host::Result<std::string>>> normalized;
    for (const auto& [name, value] : changes) {
      auto v = NormalizeFirmwareValue(*dev, name, value);
      *out += Row(false, name, {dev->Find(name)->next_boot, v.ok() ? *v : value});
      normalized.emplace_back(name, v);
    }
    *out += "\n Apply new Configuration? (y/n) [n] : ";
    if (yes) {
      *out += "y\n";
    } else {
      std::string answer;
      std::getline(in, answer);
      *out += answer + "\n";
      if (answer != "y" && answer != "Y") {
        *err += "-E- Aborted by user.\n";
        return 1;
      }
    }
    for (const auto& [name, v] : normalized) {
      if (!v.ok()) {
        *out += "Applying... Failed!\n";
        *err += "-E- " + v.error().message + "\n";
        return 1;
      }
    }
    host::Status st = store.Update(bdf, [&](FirmwareDeviceState& d) {
      for (const auto& [name, v] : normalized) d.Find(name)->next_boot = *v;
      return host::Status::Ok();
    });
    if (!st.ok()) {
      *out += "Applying... Failed!\n";
      *err += "-E- " + st.message() + "\n";
      return 1;
    }
    *out += "Applying... Done!\n-I- Please reboot machine to load new configurations.\n";
    return 0;
  }

  if (command == "sim-reboot") {
    host::Status st = store.Reboot();
    if (!st.ok()) {
      *err += "-E- " + st.message() + "\n";
      return 1;
    }
    *out += "-I- Simulated reboot: Next Boot values are now Current.\n";
    return 0;
  }

  if (command == "sim-not-take" || command == "sim-take") {
    if (bdf.empty() || rest.empty()) {
      *err += "-E- usage: mstconfig-sim -d <bdf> " + command + " PARAM...\n";
      return 1;
    }
    host::Status st = store.Update(bdf, [&](FirmwareDeviceState& d) -> host::Status {
      for (const auto& p : rest) {
        if (d.Find(p) == nullptr) return host::Error{"The Device doesn't support " + p + " parameter"};
        if (command == "sim-take")
          d.not_taking.erase(p);
        else
          d.not_taking.insert(p);
      }
      return host::Status::Ok();
    });
    if (!st.ok()) {
      *err += "-E- " + st.message() + "\n";
      return 1;
    }
    return 0;
  }

  if (command == "sim-add-device") {
    if (bdf.empty()) {
      *err += "-E- usage: mstconfig-sim -d <bdf> sim-add-device [--ports N] [--link ETH|IB] [--max-vfs N]\n";
      return 1;
    }
    int ports = 1, max_vfs = 127;
    std::string link = "ETH";
    for (size_t i = 0; i + 1 < rest.size(); i += 2) {
      if (rest[i] == "--ports")
        ports = std::atoi(rest[i + 1].c_str());
      else if (rest[i] == "--link")
        link = rest[i + 1];
      else if (rest[i] == "--max-vfs")
        max_vfs = std::atoi(rest[i + 1].c_str());
    }
    auto dev = FirmwareDeviceState::Factory(bdf, ports < 1 ? 1 : ports, link);
    dev.max_vfs = max_vfs;
    host::Status st = store.Ensure(dev);
    if (!st.ok()) {
      *err += "-E- " + st.message() + "\n";
      return 1;
    }
    return 0;
  }

  *err += command.empty() ? "-E- No command given (query or set).\n" : "-E- Unknown command: " + command + "\n";
  return 1;
}

}  // namespace sim
