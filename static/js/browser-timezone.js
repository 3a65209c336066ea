// A time-zone field marked data-browser-timezone starts at the zone this browser is set to,
// when the field suggests it; the person can still change it, and without this script the
// field keeps the zone the page came with.
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  document.querySelectorAll("input[data-browser-timezone]").forEach(function (input) {
    var suggested = input.list && Array.prototype.some.call(input.list.options, function (option) {
      return option.value === zone;
    });
    if (suggested && input.value === input.defaultValue) input.value = zone;
  });
})();
