#include "http/compression.hpp"
#include "common/text.hpp"

#include <zlib.h>

#include <cctype>
#include <stdexcept>

namespace parley::http {
namespace {



// q-value of one list member's parameters ("q=0.5"); 1 when absent, -1 when malformed.
double q_value(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    const auto param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' || param[1] != '=')
      continue;
    const auto v = trim(param.substr(2));
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    if (v.empty() || v.size() > 5 || (v[0] != '0' && v[0] != '1')) return -1;
    if (v.size() > 1 && v[1] != '.') return -1;
    double q = v[0] - '0';
    double scale = 0.1;
    for (std::size_t i = 2; i < v.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(v[i]))) return -1;
      q += (v[i] - '0') * scale;
      scale /= 10;
    }
    return q > 1 ? -1 : q;
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  double gzip_q = -1;
  double star_q = -1;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const auto member = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto semi = member.find(';');
    const auto coding = trim(member.substr(0, semi));
    const double q = semi == std::string_view::npos ? 1 : q_value(member.substr(semi + 1));
    if (q < 0) continue;  // a malformed member is ignored
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip_q = q;
    else if (coding == "*") star_q = q;
  }
  if (gzip_q >= 0) return gzip_q > 0;
  return star_q > 0;
}

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  // 15 window bits + 16 selects the gzip wrapper.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib deflateInit2 failed");
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const auto produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib deflate failed");
  out.resize(produced);
  return out;
}

}  // namespace parley::http
