/* Long tables sortable by any column: written here, inline in the report, nothing loaded.
   A table of class "data" with more than LONG body rows gets a button in each column
   heading; pressing it sorts the rows by that column (numbers as numbers, words as words),
   again to reverse. aria-sort says which column sorts the table and which way. Without
   this script (or in print) the table is the same table, in its own order.
   The control is a span with the button role, reached by Tab and pressed with Enter or
   Space, not a <button>: Chromium does not repeat a table's heading row on each printed
   page when the row holds a form control. */
(function () {
  "use strict";
  var LONG = 12;
  function key(cell) {
    var text = (cell.getAttribute("data-sort") || cell.textContent).trim();
    var plain = text.replace(/[,\u2212]/g, function (c) { return c === "," ? "" : "-"; });
    /* "18 of 20 (90.0%)" sorts by its share; "+5" or "0.38, 0.84" by its first number. */
    var percent = plain.match(/([+-]?\d+(\.\d+)?)%/);
    var number = percent ? percent[1] : (plain.match(/^[+-]?\d+(\.\d+)?/) || [null])[0];
    return { number: number === null ? null : parseFloat(number), text: text };
  }
  function sortBy(table, column, button) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var heading = button.parentNode;
    var ascending = heading.getAttribute("aria-sort") !== "ascending";
    var keys = rows.map(function (row) { return key(row.cells[column]); });
    var numeric = keys.every(function (k) { return k.number !== null || k.text === ""; });
    var order = rows.map(function (row, index) { return index; });
    order.sort(function (a, b) {
      var x = keys[a], y = keys[b], result;
      if (numeric) { result = (x.number === null ? -Infinity : x.number) -
                              (y.number === null ? -Infinity : y.number); }
      else { result = x.text.localeCompare(y.text, "en-GB", { numeric: true }); }
      return (ascending ? result : -result) || a - b;
    });
    order.forEach(function (index) { body.appendChild(rows[index]); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  function prepare(table) {
    if (!table.tHead || !table.tBodies.length || table.tBodies[0].rows.length <= LONG) {
      return;
    }
    table.classList.add("sortable");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (heading, column) {
      var button = document.createElement("span");
      button.setAttribute("role", "button");
      button.tabIndex = 0;
      button.className = "sort";
      while (heading.firstChild) { button.appendChild(heading.firstChild); }
      button.title = "Sort by this column";
      heading.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, column, button); });
      button.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();  /* Space would scroll the page */
          sortBy(table, column, button);
        }
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.data"), prepare);
})();
