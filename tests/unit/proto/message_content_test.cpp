#include "proto/ucwa/message_content.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace parley::proto::ucwa {
namespace {

using namespace std::string_view_literals;

constexpr std::size_t kRoomy = 1 << 20;

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// ---- data URIs ------------------------------------------------------------------------------

TEST(DataUri, MakesUcwaStylePlainText) {
  EXPECT_EQ(make_data_uri("text/plain;charset=utf-8", "Hi there\r\n"),
            "data:text/plain;charset=utf-8,Hi+there%0D%0A");
  EXPECT_EQ(make_data_uri("text/plain", "1+1=2 & done~"), "data:text/plain,1%2B1%3D2+%26+done~");
}

TEST(DataUri, ParsesTheUcwaSample) {
  const auto uri = parse_data_uri("data:text/plain;charset=utf-8,Hi+Tosh%0d%0a", kRoomy);
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->media_type, "text/plain");
  EXPECT_EQ(uri->charset, "utf-8");
  EXPECT_EQ(uri->data, "Hi Tosh\r\n");
}

TEST(DataUri, RoundTripsPlainHtmlAndUtf8) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"text/plain;charset=utf-8", "plain words, punctuation!?"},
      {"text/html;charset=utf-8", "<b>bold</b> & <a href=\"https://x.example/?a=1&b=2\">x</a>"},
      {"text/plain;charset=utf-8", "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE4\xB8\xAD"},
      {"text/plain;charset=utf-8", "1+1 = 2, 100% sure; %2B stays literal"},
      {"text/plain;charset=utf-8", std::string("nul\0byte", 8)},
  };
  for (const auto& [type, text] : cases) {
    const auto made = make_data_uri(type, text);
    const auto back = parse_data_uri(made, kRoomy);
    ASSERT_TRUE(back) << made;
    EXPECT_EQ(back->data, text) << made;
    EXPECT_EQ(back->charset, "utf-8");
    EXPECT_EQ(back->media_type, type.substr(0, type.find(';')));
  }
}

TEST(DataUri, PlusIsSpaceButEncodedPlusIsPlus) {
  EXPECT_EQ(parse_data_uri("data:,a+b%2Bc%2bd", kRoomy)->data, "a b+c+d");
}

TEST(DataUri, DecodesBase64EvenWhenPercentEncoded) {
  const auto sdp = parse_data_uri("data:application/sdp;base64,dj0wDQo=", kRoomy);
  ASSERT_TRUE(sdp);
  EXPECT_EQ(sdp->media_type, "application/sdp");
  EXPECT_EQ(sdp->data, "v=0\r\n");
  // '+' in base64 is a digit, never a space; %2B and %3D are the same characters escaped.
  EXPECT_EQ(parse_data_uri("data:application/octet-stream;base64,+/8%3D", kRoomy)->data, "\xFB\xFF");
  EXPECT_EQ(parse_data_uri("data:application/octet-stream;base64,%2B%2F8%3D", kRoomy)->data, "\xFB\xFF");
  EXPECT_EQ(parse_data_uri("data:;base64,aGk", kRoomy)->data, "hi");  // padding optional
}

TEST(DataUri, MissingMediaTypeMeansTextPlain) {
  const auto uri = parse_data_uri("data:,A%20brief%20note", kRoomy);
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->media_type, "text/plain");
  EXPECT_EQ(uri->charset, "");
  EXPECT_EQ(uri->data, "A brief note");
  const auto only_charset = parse_data_uri("data:;charset=UTF-8,x", kRoomy);
  ASSERT_TRUE(only_charset);
  EXPECT_EQ(only_charset->media_type, "text/plain");
  EXPECT_EQ(only_charset->charset, "utf-8");
}

TEST(DataUri, CharsetAndMediaTypeAreLowerCased) {
  const auto uri = parse_data_uri("DATA:Text/HTML;Charset=\"UTF-8\";name=x,<b>", kRoomy);
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->media_type, "text/html");
  EXPECT_EQ(uri->charset, "utf-8");
  EXPECT_EQ(uri->data, "<b>");
}

TEST(DataUri, MalformedIsRejected) {
  for (std::string_view bad : {
           "",
           "data:",                              // no comma
           "datum:,x",                           // not a data URI
           "http://example.com/,x",              // not a data URI
           "data:text,x",                        // media type without subtype
           "data:text/plain;charset,x",          // parameter without value
           "data:text/plain;base64;charset=utf-8,aGk=",  // base64 not last
           "data:,50%",                          // cut escape
           "data:,%zz",                          // bad escape
           "data:;base64,a",                     // one base64 digit is not a byte
           "data:;base64,a*bc",                  // not base64
           "data:;base64,aGk=aGk=",              // data after padding
           "data:;base64,aG===",                 // too much padding
       }) {
    EXPECT_FALSE(parse_data_uri(bad, kRoomy)) << bad;
  }
}

TEST(DataUri, SizeLimitAppliesToTheDecodedData) {
  EXPECT_TRUE(parse_data_uri("data:,%41%42%43", 3));  // nine characters, three bytes
  EXPECT_FALSE(parse_data_uri("data:,ABCD", 3));
  EXPECT_TRUE(parse_data_uri("data:;base64,aGVsbG8=", 5));
  EXPECT_FALSE(parse_data_uri("data:;base64,aGVsbG8=", 4));
  EXPECT_TRUE(parse_data_uri("data:,", 0));
  const std::string huge = "data:," + std::string(1 << 20, 'a');
  EXPECT_FALSE(parse_data_uri(huge, 1000));
}

// ---- sanitizer ------------------------------------------------------------------------------

TEST(SanitizeHtml, BenignFormattingSurvivesExactly) {
  for (std::string_view html : {
           "<b>bold</b>",
           "<strong>s</strong> <em>e</em> <i>i</i> <u>u</u> <s>x</s> <strike>y</strike>",
           "line one<br>line two",
           "<a href=\"https://example.com/path?q=1&amp;r=2#frag\">link</a>",
           "<a href=\"http://example.com/\">plain http</a>",
           "<a href=\"mailto:lenea@contoso.com\">mail</a>",
           "<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>",
           "<font color=\"#ff0000\" face=\"Segoe UI\" size=\"3\">red</font>",
           "<p dir=\"rtl\">\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D</p><div>d</div><span dir=\"ltr\">s</span>",
           "<blockquote>q</blockquote><pre><code>a &lt; b &amp;&amp; c &gt; d</code></pre>",
           "<h1>1</h1><h2>2</h2><h3>3</h3><h4>4</h4><h5>5</h5><h6>6</h6>",
           "caf\xC3\xA9 &copy; &nbsp; &#233; &euro;",
       }) {
    EXPECT_EQ(sanitize_html(html, kRoomy), html);
  }
}

TEST(SanitizeHtml, NormalizesHarmlessVariations) {
  EXPECT_EQ(sanitize_html("<B>x</B><BR/><Font COLOR=red>y</FONT>", kRoomy),
            "<b>x</b><br><font color=\"red\">y</font>");
  EXPECT_EQ(sanitize_html("<a href='https://x.example/?a=\"1\"'>q</a>", kRoomy),
            "<a href=\"https://x.example/?a=&quot;1&quot;\">q</a>");
  EXPECT_EQ(sanitize_html("<a href=https://x.example/>u</a>", kRoomy),
            "<a href=\"https://x.example/\">u</a>");
  EXPECT_EQ(sanitize_html("<p dir=RTL>x</p>", kRoomy), "<p dir=\"rtl\">x</p>");
  EXPECT_EQ(sanitize_html("<font color=red color=blue>x</font>", kRoomy), "<font color=\"red\">x</font>");
  EXPECT_EQ(sanitize_html("&#x41;&#66", kRoomy), "&#65;&#66;");
}

TEST(SanitizeHtml, TextIsEscaped) {
  EXPECT_EQ(sanitize_html("1 < 2 > 0 & \"q\"", kRoomy), "1 &lt; 2 &gt; 0 &amp; \"q\"");
  EXPECT_EQ(sanitize_html("&bogus; &amp &lt;", kRoomy), "&amp;bogus; &amp;amp &lt;");
  EXPECT_EQ(sanitize_html("< script>", kRoomy), "&lt; script&gt;");
  EXPECT_EQ(sanitize_html("a\0b"sv, kRoomy), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(sanitize_html("bad \xFF\xC3 utf8", kRoomy), "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8");
  EXPECT_EQ(sanitize_html("&#0;&#xD800;&#x110000;", kRoomy), "&#65533;&#65533;&#65533;");
}

struct Payload {
  std::string_view html;
  std::string_view expected;  // the exact output where it matters; empty: only the invariants
};

// Attacks written after the usual cheat sheets, each in our own words.
const Payload kPayloads[] = {
    {"<script>alert(1)</script>", ""},
    {"<SCRIPT>alert(1)</SCRIPT>after", "after"},
    {"<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"},
    {"<<script>script>alert(1)</script>", "&lt;"},
    {"<script src=//evil.example/x.js></script>ok", "ok"},
    {"<script>document.write('</scr'+'ipt>')</script>", ""},
    {"<script/src=x>", ""},
    {"<script", ""},
    {"<script>unterminated", ""},
    {"<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=javascript:alert(1)>x</a>", "<a>x</a>"},
    {"<a href=\"JaVaScRiPt:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"jav&#x61;script:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"&#106;avascript:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"&#x6A&#x61&#x76&#x61script:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"&#0000106&#0000097vascript:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"java\tscript:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"java&#x09;script:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"java&#10;script:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"   javascript:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"\x01javascript:alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"java\0script:alert(1)\">x</a>"sv, "<a>x</a>"},
    {"<a href=\"javascript&colon;alert(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"vbscript:msgbox(1)\">x</a>", "<a>x</a>"},
    {"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>", "<a>x</a>"},
    {"<a href=\"DATA:text/html,<script>alert(1)</script>\">x</a>", "<a>x</a>"},
    {"<a href=\"/relative\">x</a>", "<a>x</a>"},
    {"<a href>x</a>", "<a>x</a>"},
    {"<a href=\"https://ok.example/\" onclick=\"alert(1)\">x</a>", "<a href=\"https://ok.example/\">x</a>"},
    {"<a href=\"https://ok.example/\"onmouseover=alert(1)>x</a>", "<a href=\"https://ok.example/\">x</a>"},
    {"<a href=\"https://x.example/\" target=_blank>x</a>", "<a href=\"https://x.example/\">x</a>"},
    {"<a href=\"x\" title='\"><script>alert(1)</script>'>y</a>", "<a>y</a>"},
    {"<img src=x onerror=alert(1)>", ""},
    {"<IMG SRC=\"javascript:alert(1)\">", ""},
    {"<img src=x OnErRoR=alert(1)//", ""},
    {"<svg onload=alert(1)>", ""},
    {"<svg/onload=alert(1)>after", ""},
    {"<svg><script>alert(1)</script></svg>after", "after"},
    {"<math><mtext><script>alert(1)</script></mtext></math>", ""},
    {"<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>", ""},
    {"<iframe src=\"javascript:alert(1)\">fallback</iframe>after", "after"},
    {"<object data=\"javascript:alert(1)\"><b>x</b></object>after", "after"},
    {"<embed src=\"javascript:alert(1)\">after", "after"},
    {"<style>@import 'javascript:alert(1)';</style>after", "after"},
    {"<b style=\"background:url(javascript:alert(1))\">x</b>", "<b>x</b>"},
    {"<base href=\"javascript:alert(1)//\">", ""},
    {"<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">", ""},
    {"<form action=\"javascript:alert(1)\"><input type=submit></form>", ""},
    {"<button formaction=javascript:alert(1)>b</button>", "b"},
    {"<body onload=alert(1)>x", "x"},
    {"<div onmouseover=\"alert(1)\">x</div>", "<div>x</div>"},
    {"<div ONCLICK=alert(1) dir=ltr>x</div>", "<div dir=\"ltr\">x</div>"},
    {"<p title=\"</script><script>alert(1)</script>\">x</p>", "<p>x</p>"},
    {"<!--<script>alert(1)</script>-->after", "after"},
    {"<!-- unterminated <script>alert(1)</script>", ""},
    {"<!--><script>alert(1)</script>", ""},
    {"<![CDATA[<script>alert(1)</script>]]>after", "after"},
    {"<?xml-stylesheet href=\"javascript:alert(1)\"?>after", "after"},
    {"<!DOCTYPE html><b>x</b>", "<b>x</b>"},
    {"</script><script>alert(1)</script>", ""},
    {"<b onmouseover=alert(1)>x", "<b>x</b>"},
    {"<b \"onclick=alert(1)\">x</b>", "<b>x</b>"},
    {"<b a=\"1\" onclick=alert(1) b='2'>x</b>", "<b>x</b>"},
    {"<b title=\"unterminated", ""},
    {"<template><script>alert(1)</script></template>after", "after"},
    {"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>", "\"&gt;"},
    {"<textarea></textarea><script>alert(1)</script>", ""},
    {"<title><script>alert(1)</script></title>", ""},
    {"<select><option><script>alert(1)</script></select>", ""},
    {"<xmp><script>alert(1)</script></xmp>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
    {"<font color=\"red\" onmouseover=alert(1) face=\"x\"\">x</font>", "<font color=\"red\" face=\"x\">x</font>"},
    {"<font color=\"expression(alert(1));\">x</font>", "<font>x</font>"},
    {"<a href=\"https://ok.example/\"><a href=\"javascript:alert(1)\">x</a></a>",
     "<a href=\"https://ok.example/\"><a>x</a></a>"},
    {"<li><ul></li><b>x", "<li><ul></ul></li><b>x</b>"},
};

TEST(SanitizeHtml, XssPayloadsAreDefused) {
  for (const auto& p : kPayloads) {
    const auto out = sanitize_html(p.html, kRoomy);
    const auto low = lowered(out);
    EXPECT_EQ(low.find("<script"), std::string::npos) << p.html;
    EXPECT_EQ(low.find("javascript:"), std::string::npos) << p.html;
    EXPECT_EQ(low.find("vbscript:"), std::string::npos) << p.html;
    EXPECT_EQ(low.find("href=\"data:"), std::string::npos) << p.html;
    EXPECT_EQ(low.find(" on"), std::string::npos) << p.html;
    EXPECT_EQ(low.find("<img"), std::string::npos) << p.html;
    EXPECT_EQ(low.find("<svg"), std::string::npos) << p.html;
    EXPECT_EQ(low.find("<iframe"), std::string::npos) << p.html;
    EXPECT_EQ(low.find("style"), std::string::npos) << p.html;
    EXPECT_EQ(out, p.expected) << p.html;
    EXPECT_EQ(sanitize_html(out, kRoomy), out) << p.html;  // a fixed point
  }
}

TEST(SanitizeHtml, EveryKeptElementIsClosedInOrder) {
  EXPECT_EQ(sanitize_html("<b><i>x", kRoomy), "<b><i>x</i></b>");
  EXPECT_EQ(sanitize_html("<b><i>x</b>y</i>", kRoomy), "<b><i>x</i></b>y");
  EXPECT_EQ(sanitize_html("</b>x</i><p>", kRoomy), "x<p></p>");
  EXPECT_EQ(sanitize_html("<ul><li>a<li>b</ul>", kRoomy), "<ul><li>a</li><li>b</li></ul>");
  EXPECT_EQ(sanitize_html("<p>one<p>two", kRoomy), "<p>one</p><p>two</p>");
  EXPECT_EQ(sanitize_html("<p><b>one<p>two", kRoomy), "<p><b>one<p>two</p></b></p>");
  EXPECT_EQ(sanitize_html("<div><unknown><span>x</unknown></div>", kRoomy), "<div><span>x</span></div>");
}

TEST(SanitizeHtml, NestingDepthIsBounded) {
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "<b>";
  const auto out = sanitize_html(deep + "x", kRoomy);
  EXPECT_LT(out.size(), 1000u);
  EXPECT_NE(out.find('x'), std::string::npos);
}

TEST(SanitizeHtml, CutAtTheLimitKeepsTagsWholeAndClosed) {
  // "<b>" and its "</b>" need 7 bytes, so 10 leaves room for three characters of text.
  EXPECT_EQ(sanitize_html("<b>hello</b>", 10), "<b>hel</b>");
  EXPECT_EQ(sanitize_html("<b>hello</b>", 6), "");  // the tag cannot fit with its end tag
  EXPECT_EQ(sanitize_html("<b>hello</b>", 7), "<b></b>");
  EXPECT_EQ(sanitize_html("a &amp; b", 4), "a ");  // a reference is never split
  EXPECT_EQ(sanitize_html("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9");  // nor a UTF-8 sequence
  EXPECT_EQ(sanitize_html("<a href=\"https://example.com/\">x</a>", 20), "");
  EXPECT_EQ(sanitize_html("anything", 0), "");
  const std::string big(100000, 'z');
  const auto out = sanitize_html("<p>" + big + "</p>", 1000);
  EXPECT_EQ(out.size(), 1000u);
  EXPECT_EQ(out.substr(out.size() - 4), "</p>");
}

TEST(SanitizeHtml, OverlongInputIsHandledInOnePass) {
  std::string input;
  for (int i = 0; i < 20000; ++i) input += "<b onclick=x>t</b><!-- c --><script>s</script>";
  const auto out = sanitize_html(input, kRoomy);
  EXPECT_EQ(out.size(), 20000u * 8);
  EXPECT_EQ(out.find("script"), std::string::npos);
}

// ---- html_to_text ---------------------------------------------------------------------------

TEST(HtmlToText, ShowsWhatAReaderSees) {
  EXPECT_EQ(html_to_text("<b>Hi</b> <i>there</i>"), "Hi there");
  EXPECT_EQ(html_to_text("one<br>two<br/>three"), "one\ntwo\nthree");
  EXPECT_EQ(html_to_text("<p>first</p><p>second</p>"), "first\nsecond");
  EXPECT_EQ(html_to_text("<div>a</div>b<ul><li>x</li><li>y</li></ul>"), "a\nb\nx\ny");
  EXPECT_EQ(html_to_text("a &lt;b&gt; &amp; &quot;c&quot; &nbsp;&copy;"), "a <b> & \"c\" \xC2\xA0\xC2\xA9");
  EXPECT_EQ(html_to_text("&#233;&#x20AC;&#x1F600;"), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(html_to_text("&#0;&#xD800;&#9999999;"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(html_to_text("&unknown; stays"), "&unknown; stays");
  EXPECT_EQ(html_to_text("x<script>alert(1)</script><style>b{}</style><!-- hidden -->y"), "xy");
  EXPECT_EQ(html_to_text("plain text, no markup"), "plain text, no markup");
}

}  // namespace
}  // namespace parley::proto::ucwa
