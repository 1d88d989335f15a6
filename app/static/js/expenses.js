// Expense form: show the distance field for unit-priced categories (such as mileage)
// and the amount field for all others. Without JavaScript both fields stay visible.
(function () {
  "use strict";

  function update(select) {
    var option = select.options[select.selectedIndex];
    var isUnitPriced = Boolean(option && option.getAttribute("data-unit"));
    var amount = select.form.querySelector("[data-expense-amount]");
    var distance = select.form.querySelector("[data-expense-distance]");
    if (amount) { amount.hidden = isUnitPriced; }
    if (distance) { distance.hidden = !isUnitPriced; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[data-expense-category]");
    if (!select) { return; }
    update(select);
    select.addEventListener("change", function () { update(select); });
  });
}());
